"""``synthdiv topics`` (a tree pool on the dummy backend) and ``synthdiv ladder`` (rows and verdicts)."""

from __future__ import annotations

import json

from synthdiv.cli.main import main
from synthdiv.generation.topics import read_topics


def test_topics_writes_a_pool_with_paths_and_a_summary(tmp_path, capsys):
    out = tmp_path / "pool.txt"
    args = ["topics", "--size", "150", "--out", str(out), "--backend", "dummy", "--model", "dummy", "--embedder", "none",
            "--cache-dir", str(tmp_path / "cache"), "--show", "3"]
    assert main(args) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith(f"150 of 150 distinct topics -> {out} (") and "requests" in printed[0]
    assert printed[1].startswith("  candidates ") and "near-duplicates removed" in printed[1] and "by depth {1: " in printed[1]
    assert len(printed) == 5  # three sample lines
    lines = [x for x in out.read_text().splitlines() if not x.startswith("#")]
    assert len(lines) == 150 and len(read_topics(out)) == 150 and any(" > " in x for x in lines)


def test_a_stopped_growth_leaves_the_pool_so_far_and_a_rerun_resumes(tmp_path, capsys, monkeypatch):
    import synthdiv.generation.topic_tree as topic_tree

    out, grow = tmp_path / "pool.txt", topic_tree.grow_topic_tree
    args = ["topics", "--size", "150", "--out", str(out), "--backend", "dummy", "--model", "dummy", "--embedder", "none",
            "--cache-dir", str(tmp_path / "cache")]

    def stopped_after_two_rounds(*a, progress, **kw):
        rounds = []

        def count(g):
            progress(g)
            rounds.append(len(g.topics))
            if len(rounds) == 2:
                raise KeyboardInterrupt

        return grow(*a, progress=count, **kw)

    monkeypatch.setattr(topic_tree, "grow_topic_tree", stopped_after_two_rounds)
    try:
        main(args)
    except KeyboardInterrupt:
        pass
    text = out.read_text()
    assert text.startswith("# synthdiv topics: partial: ") and "run the same command again" in text.splitlines()[0]
    partial = read_topics(out)
    assert 0 < len(partial) < 150
    monkeypatch.setattr(topic_tree, "grow_topic_tree", grow)
    capsys.readouterr()
    assert main(args) == 0
    assert read_topics(out)[: len(partial)] == partial and len(read_topics(out)) == 150


def test_ladder_prints_a_row_per_level_and_a_verdict(tmp_path, capsys):
    files = []
    for level in ("D0", "D3"):
        f = tmp_path / f"{level}.jsonl"
        args = ["generate", "--backend", "dummy", "--model", "dummy", "--topics", "builtin", "--level", level, "--n", "12",
                "--out", str(f), "--cache-dir", str(tmp_path / "cache"), "--no-progress"]
        assert main(args) == 0
        files.append(str(f))
    capsys.readouterr()
    assert main(["ladder", *files, "--embedder", "none", "--draws", "20", "--out", str(tmp_path / "ladder.json")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:4] == ["set", "n", "|T|", "asked"]
    assert out[2].split()[:7] == ["Gen-D0", "12", "1", "1", "36", "0.7", "-"] and out[3].split()[:4] == ["Gen-D3", "12", "100", "12"]
    assert out[4].startswith("diversity on 20 random subsets of 6 records per set")
    assert out[5].startswith("ladder, size-matched distinct 1-5 sum: ") and len(out) == 6  # no Vendi without an embedder
    saved = json.loads((tmp_path / "ladder.json").read_text())
    assert [r["level"] for r in saved["rows"]] == ["D0", "D3"] and saved["verdicts"][0]["metric"] == "distinct"


def test_ladder_refuses_a_file_without_generated_records(tmp_path, capsys):
    real = tmp_path / "real.jsonl"
    real.write_text(json.dumps({"id": "r", "task": "story_completion", "context": "a.", "target": "b."}) + "\n")
    assert main(["ladder", str(real), "--embedder", "none"]) == 2
    assert "has no generated records" in capsys.readouterr().err
