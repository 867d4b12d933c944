"""What ``synthdiv diversity`` and ``synthdiv shift`` print: --metrics, the side-by-side table, the shift panel."""

from __future__ import annotations

import json
import re

import pytest

from synthdiv.cli.main import main
from synthdiv.data.records_io import write_records
from synthdiv.records import Record

STORIES = [
    ("Tom went to the store. He wanted milk. The store was closed. He went home.", "He drank water instead."),
    ("Amy baked a cake. It was for her mom. She added candles. Her mom smiled.", "They ate the cake together."),
    ("The dog ran outside. It saw a cat. The cat climbed a tree. The dog barked.", "The cat stayed in the tree."),
    ("Sam lost his keys. He looked everywhere. He checked his coat. They were there.", "Sam was relieved."),
]
DISTINCT_KEYS = {"distinct", "ngram_diversity_score", "ngrams", "unique_ngrams", "mode"}
COMPRESSION_KEYS = {"compression_ratio", "compression"}
SELF_BLEU_KEYS = {"self_bleu", "self_bleu_detail"}


@pytest.fixture
def files(tmp_path):
    real = tmp_path / "real.jsonl"
    write_records([Record(id=f"s{i}", task="story_completion", context=c, target=t) for i, (c, t) in enumerate(STORIES)], real)
    gen = tmp_path / "gen.txt"
    gen.write_text("\n".join(["He went home and slept.", "She baked a pie.", "The cat ran.", "A dog barked.", "The cat ran."]), encoding="utf-8")
    return real, gen


def _json(capsys, args):
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_metrics_distinct_computes_distinct_only(files, capsys):
    real, _ = files
    out = _json(capsys, ["diversity", str(real), "--metrics", "distinct"])
    assert DISTINCT_KEYS <= set(out) and not (COMPRESSION_KEYS | SELF_BLEU_KEYS) & set(out)
    assert set(out["timings_s"]) == {"tokenize", "distinct"} and out["embedding"] is None


def test_metrics_compression_needs_no_tokens(files, capsys):
    real, _ = files
    out = _json(capsys, ["diversity", str(real), "--metrics", "compression"])
    assert COMPRESSION_KEYS <= set(out) and not (DISTINCT_KEYS | SELF_BLEU_KEYS) & set(out)
    assert out["samples"] == 4 and "tokens" not in out and set(out["timings_s"]) == {"compression"}


def test_the_default_is_unchanged_and_equals_asking_for_all_three(files, capsys):
    real, _ = files
    default = _json(capsys, ["diversity", str(real)])
    asked = _json(capsys, ["diversity", str(real), "--metrics", "self-bleu,compression,distinct"])
    assert DISTINCT_KEYS | COMPRESSION_KEYS | SELF_BLEU_KEYS <= set(default)
    drop = ("timings_s",)
    assert {k: v for k, v in default.items() if k not in drop} == {k: v for k, v in asked.items() if k not in drop}
    assert list(default) == list(asked)  # same keys in the same order: the results tables keep their columns


@pytest.mark.parametrize(("value", "words"), [("distinct,colour", "unknown metric 'colour'"), ("embedding", "needs an embedding model"),
                                             (",", "names no metric")])
def test_a_bad_metrics_list_is_one_line_exit_2(files, capsys, value, words):
    real, _ = files
    assert main(["diversity", str(real), "--metrics", value]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --metrics:") and words in err[0]


def test_several_files_print_one_table_with_a_column_each(files, capsys):
    real, gen = files
    assert main(["diversity", str(real), str(gen), "--ngram-order", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["real.jsonl", "gen.txt"]
    cells = [re.split(r"\s{2,}", line.strip()) for line in lines[1:] if not line.startswith(("settings", "no intervals", "files:"))]
    rows = {row[0]: row[1:] for row in cells}
    assert len(rows) == len(cells) and rows["samples"] == ["4", "5"]
    assert {"distinct-1", "distinct-2", "ngram_diversity_score", "distinct-1 / group max", "compression_ratio", "self_bleu-4"} <= set(rows)
    assert [name for name, values in rows.items() if len(values) != 2] == []  # one value per file
    assert rows["distinct-1 / group max"][0] == "1.0000" or rows["distinct-1 / group max"][1] == "1.0000"
    assert sum(line.startswith("samples") for line in lines) == 1  # one table, not one block per file
    assert any(line.startswith("no intervals:") for line in lines)


def test_the_table_holds_the_same_numbers_as_the_json(files, capsys):
    real, gen = files
    data = _json(capsys, ["diversity", str(real), str(gen), "--metrics", "distinct", "--ngram-order", "2"])
    assert main(["diversity", str(real), str(gen), "--metrics", "distinct", "--ngram-order", "2"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("distinct-2 "))
    assert re.split(r"\s{2,}", row.strip())[1:] == [f"{f['distinct']['2']:.4f}" for f in data["files"]]


def test_shift_prints_results_then_settings_then_a_verdict(files, capsys):
    real, gen = files
    assert main(["shift", str(real), str(gen)]) == 0
    lines = capsys.readouterr().out.splitlines()
    heads = [i for i, line in enumerate(lines) if line.startswith(("results:", "settings:", "verdict:"))]
    assert [lines[i].split(":")[0] for i in heads] == ["results", "settings", "verdict"]
    results = lines[heads[0] + 1 : heads[1]]
    settings = lines[heads[1] + 1 : heads[2]]
    assert all("more shifted" in line or "real vs generated" in line for line in results)  # each says its direction
    assert all(("95% CI [" in line) or ("no interval:" in line) or ("sd " in line) for line in results)
    assert any("seed 0" in line for line in settings) and not any("seed" in line for line in results)
    assert lines[heads[2]].startswith("verdict: no verdict without an embedder")


def test_shift_json_has_the_verdict(files, capsys):
    real, gen = files
    out = _json(capsys, ["shift", str(real), str(gen)])
    assert out["verdict"].startswith("no verdict without an embedder") and out["embedding"] is None


def test_distinct_on_a_text_file_imports_neither_pydantic_nor_rich(tmp_path):
    """The command a user times on a large file: parsing its options must not import pydantic
    (typer 0.29 coerces every option through pydantic TypeAdapters, 0.15-0.2 s a process)."""
    import subprocess
    import sys

    path = tmp_path / "texts.txt"
    path.write_text("a b c\nd e f\n", encoding="utf-8")
    code = (
        "import sys; from synthdiv.cli.main import main; "
        f"code = main(['diversity', {str(path)!r}, '--metrics', 'distinct', '--tokenizer', 'whitespace', '--json']); "
        "print(code, [m for m in ('pydantic', 'rich') if m in sys.modules], file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(proc.stdout)["ngrams"]["1"] == 6
    assert proc.stderr.strip().splitlines()[-1] == "0 []"
