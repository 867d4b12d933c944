"""The short Python API (synthdiv/api.py): one call per stage on the commands' own code, typed results with
.to_dict(), and an import that loads nothing heavy."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import synthdiv
from synthdiv.cli.main import main
from synthdiv.records import Record

TOPICS = ["plants", "bread", "bikes", "maps", "money", "chess"]


def chat_rows(n: int, offset: int = 0) -> list[dict]:
    return [{"messages": [{"role": "user", "content": f"Give me tip {i} about {TOPICS[i % 6]}."},
                          {"role": "assistant", "content": f"Tip {i}: with {TOPICS[i % 6]}, start small and keep notes."}]}
            for i in range(offset, offset + n)]


@pytest.fixture
def chat_file(tmp_path):
    path = tmp_path / "chat.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in chat_rows(20)))
    return path


def test_import_synthdiv_loads_no_heavy_library():
    code = "import sys, synthdiv; synthdiv.read; print(sorted(m for m in ('torch', 'numpy', 'transformers', 'datasets') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_api_names_are_listed():
    assert {"read", "diversity", "shift", "generate", "mix", "select", "train", "evaluate", "compare"} <= set(dir(synthdiv))


def test_diversity_takes_a_path_records_or_texts_and_matches_the_command(chat_file, capsys):
    records = synthdiv.read(chat_file)
    by_path, by_records = synthdiv.diversity(chat_file), synthdiv.diversity(records)
    same = {"file": None, "timings_s": None}
    assert by_path.to_dict() | same == by_records.to_dict() | same
    assert main(["diversity", str(chat_file), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ngram_diversity_score"] == by_path.ngram_diversity_score
    texts = synthdiv.diversity(["a b c", "a b d", "e f g"], metrics=["distinct"])
    assert texts.samples == 3 and texts.distinct["1"] == pytest.approx(7 / 9)
    matched = synthdiv.diversity(records, fields=["completion"], match_size=10, draws=50)
    assert matched.matched["size"] == 10 and matched.matched["ci_low"] <= matched.matched["ngram_diversity_score"] <= matched.matched["ci_high"]


def test_shift_gives_the_panel_and_its_verdict(chat_file, tmp_path):
    other = tmp_path / "other.jsonl"
    other.write_text("".join(json.dumps(r) + "\n" for r in chat_rows(20, offset=100)))
    result = synthdiv.shift(chat_file, other, fields=["completion"])
    assert result.report["samples_compared"] == 20 and "no verdict without an embedder" in result.verdict
    assert result.to_dict()["verdict"] == result.verdict


def test_generate_returns_records_and_resumes_from_the_cache(chat_file, tmp_path):
    kw = dict(n=6, level="D3", strategy="instruct", real=chat_file, topics="builtin", backend="dummy", model="dummy")
    first = synthdiv.generate(**kw)
    assert len(first) == 6 and all(isinstance(r, Record) and r.task == "sft" for r in first)
    assert first.summary["requests"] == 6 and first.summary["out"] is None
    again = synthdiv.generate(**kw, out=tmp_path / "gen.jsonl")
    assert [r.id for r in again] == [r.id for r in first] and again.summary["requests"] == 0 and again.summary["cache_hits"] == 6
    assert (tmp_path / "gen.rejects.jsonl").exists() and len(again.to_dict()["records"]) == 6
    from_records = synthdiv.generate(**{**kw, "real": synthdiv.read(chat_file)})
    assert [r.id for r in from_records] == [r.id for r in first]
    with pytest.raises(synthdiv.UserError, match="unknown generation setting 'temprature'"):
        synthdiv.generate(**kw, temprature=0.5)


def test_mix_select_train_evaluate_and_compare(chat_file, tmp_path, tiny_model_dir):
    real = synthdiv.read(chat_file)
    gen = synthdiv.generate(n=8, level="D0", strategy="instruct", real=real, topics="builtin", backend="dummy", model="dummy")
    mixed = synthdiv.mix(real[:8], gen, ratio=0.5, size=8)
    assert (mixed.n_real, mixed.n_generated) == (4, 4) and mixed.to_dict()["ratio"] == 0.5
    picked = synthdiv.select(gen, 4, strategy="random")
    assert len(picked.records) == 4 and picked.to_dict()["summary"]["strategy"] == "random"
    run = synthdiv.train(mixed.records, model=str(tiny_model_dir), out=tmp_path / "a", epochs=1, batch_size=4, max_length=128)
    assert run.steps == 2 and run.to_dict()["records"] == 8
    test = real[8:]
    base, tuned = synthdiv.evaluate(str(tiny_model_dir), test), synthdiv.evaluate(str(tmp_path / "a"), test)
    assert tuned.base_test_loss == pytest.approx(base.test_loss) and base.ci_low < base.test_loss < base.ci_high
    diff = synthdiv.compare(base, tuned)
    assert diff.delta == pytest.approx(tuned.test_loss - base.test_loss) and diff.to_dict()["pairs"] == len(test)


def test_metrics_names_are_functions_even_after_their_modules_load():
    import importlib

    for module in ("synthdiv.metrics.self_bleu_score", "synthdiv.metrics.mauve_score", "synthdiv.metrics.panel", "synthdiv.metrics.shift"):
        importlib.import_module(module)
    from synthdiv.metrics import mauve, self_bleu

    assert callable(self_bleu) and callable(mauve)
