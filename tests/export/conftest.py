"""Fixtures of the export tests: small generated and real record files, and run folders made
by the report tests' factory (tests/reports/report_run_factory.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from synthdiv.data.records_io import write_records

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reports"))  # the run-folder factory lives there

from export_records import generated_story, real_story  # noqa: E402  (after the path is set)


@pytest.fixture
def gen_file(tmp_path) -> Path:
    path = tmp_path / "gen-D3.jsonl"
    write_records([generated_story(i) for i in range(12)], path)
    return path


@pytest.fixture
def real_file(tmp_path) -> Path:
    path = tmp_path / "real.jsonl"
    write_records([real_story(i) for i in range(20)], path)
    return path


@pytest.fixture
def run_folder(tmp_path) -> Path:
    from report_run_factory import build_run_dir

    return build_run_dir(tmp_path / "run", ratios=(0.0, 0.5, 1.0), models=("gpt2",), train_logs=False)


@pytest.fixture
def hf_cache(tmp_path) -> str:
    """A private cache for datasets.load_dataset, so tests leave nothing in the user's cache."""
    return str(tmp_path / "hf-cache")
