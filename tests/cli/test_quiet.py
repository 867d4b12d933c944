"""Library FutureWarnings and Hugging Face bars kept out; our warnings printed above a running bar."""

from __future__ import annotations

import io
import os
import sys
import warnings

import pytest
from tqdm import tqdm

from synthdiv.cli import quiet
from synthdiv.cli.quiet import PROGRESS_ENV, quiet_libraries


def _warn_from(module: str, message: str, category=FutureWarning) -> None:
    """Raise a warning as if from inside ``module`` (what the filters match on)."""
    warnings.warn_explicit(message, category, filename=f"/site-packages/{module.replace('.', '/')}.py", lineno=1, module=module)


def test_library_future_warnings_are_dropped_and_others_kept(capsys):
    with quiet_libraries():
        _warn_from("transformers.modeling_utils", "`is_gradient_checkpointing` is deprecated")
        _warn_from("peft.tuners", "old argument")
        _warn_from("mylib.core", "a future change in mylib")
        _warn_from("transformers.modeling_utils", "a user warning of the library", UserWarning)
    err = capsys.readouterr().err
    assert "is_gradient_checkpointing" not in err and "old argument" not in err
    assert "a future change in mylib" in err and "a user warning of the library" in err


def test_our_warnings_are_one_line(monkeypatch):
    lines = []
    monkeypatch.setattr(quiet, "say", lines.append)  # what show_warning writes
    with quiet_libraries():
        warnings.warn_explicit("too few samples\nsecond line", UserWarning, filename=quiet.OURS + "metrics/distinct.py", lineno=3)
    assert lines == ["warning: too few samples"]


def test_a_warning_lands_above_a_running_bar(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    with quiet_libraries():
        with tqdm(total=3, file=stream, ascii=True) as bar:
            bar.update(1)
            warnings.warn_explicit("ours", UserWarning, filename=quiet.OURS + "x.py", lineno=1)
            bar.update(1)
    with_warning = [line for line in stream.getvalue().splitlines() if "warning: ours" in line]  # splitlines splits at \r too
    assert with_warning == ["warning: ours"]  # a line of its own, not glued to the bar's "…it/s]"


def test_the_hugging_face_bars_are_off_inside_and_restored_after(monkeypatch):
    monkeypatch.delenv(PROGRESS_ENV, raising=False)
    with quiet_libraries():
        assert os.environ[PROGRESS_ENV] == "1"
    assert PROGRESS_ENV not in os.environ
    monkeypatch.setenv(PROGRESS_ENV, "0")  # the user asked for them: kept
    with quiet_libraries():
        assert os.environ[PROGRESS_ENV] == "0"


def test_the_transformers_deprecation_seen_on_every_training_run_is_dropped(tiny_llama, capsys):
    model, _ = tiny_llama
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        model.is_gradient_checkpointing  # noqa: B018 - the property warns
    if not any(issubclass(w.category, FutureWarning) for w in seen):
        pytest.skip("this transformers does not deprecate is_gradient_checkpointing")
    warnings.simplefilter("always")  # every warning on, as pytest has them: the library filter still holds
    with quiet_libraries():
        model.is_gradient_checkpointing  # noqa: B018
    assert "is_gradient_checkpointing" not in capsys.readouterr().err
