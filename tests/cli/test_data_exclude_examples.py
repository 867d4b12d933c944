"""``synthdiv data convert --exclude-examples-of``: a test set without the stories generation prompts showed."""

import json

from synthdiv.cli.main import main
from synthdiv.data.records_io import read_records, write_records


def _generate(tmp_path, real, out, seed="0"):
    argv = ["generate", "--real", str(real), "--level", "D1", "--topics", "builtin", "--n", "6", "--level-option", "k=2", "--backend", "dummy",
            "--seed", seed, "--no-progress", "--cache-dir", str(tmp_path / "responses"), "--out", str(out)]
    assert main(argv) == 0


def test_drops_every_seed_that_generation_showed(tmp_path, capsys, records_of):
    real, gen_a, gen_b, out = tmp_path / "real.jsonl", tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "test.jsonl"
    write_records(records_of(40), real)
    _generate(tmp_path, real, gen_a)
    _generate(tmp_path, real, gen_b, seed="1")
    capsys.readouterr()
    shown = {sid for path in (gen_a, gen_b) for r in read_records(path) for sid in r.provenance.seed_ids}
    assert 0 < len(shown) < 40

    argv = ["data", "convert", str(real), "-f", "jsonl", "-t", "story_completion", "-o", str(out),
            "--exclude-examples-of", str(gen_a), "--exclude-examples-of", str(gen_b)]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    kept = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert set(kept).isdisjoint(shown) and len(kept) == 40 - len(shown)
    assert lines[0] == f"dropped {len(shown)} records that prompts of {gen_a}, {gen_b} showed ({len(shown)} seed ids), kept {len(kept)}"
    assert lines[1].startswith(f"wrote {len(kept)} records in ") and lines[1].endswith(f" to {out}")


def test_exclusion_comes_before_the_sample_and_the_split(tmp_path, capsys, records_of):
    real, gen, train, test = (tmp_path / n for n in ("real.jsonl", "gen.jsonl", "train.jsonl", "test.jsonl"))
    write_records(records_of(40), real)
    _generate(tmp_path, real, gen)
    shown = {sid for r in read_records(gen) for sid in r.provenance.seed_ids}
    argv = ["data", "convert", str(real), "-f", "jsonl", "-t", "story_completion", "-o", str(train), "--sample", "20",
            "--test-fraction", "0.5", "--test-out", str(test), "--exclude-examples-of", str(gen)]
    assert main(argv) == 0
    ids = [r.id for path in (train, test) for r in read_records(path)]
    assert len(ids) == 20 and set(ids).isdisjoint(shown)


def test_a_file_without_seed_provenance_is_one_line_exit_2(tmp_path, capsys, records_of):
    real, out = tmp_path / "real.jsonl", tmp_path / "out.jsonl"
    write_records(records_of(5), real)
    code = main(["data", "convert", str(real), "-f", "jsonl", "-t", "story_completion", "-o", str(out), "--exclude-examples-of", str(real)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith("error: --exclude-examples-of: no record of") and "provenance.seed_ids" in err[0]
    assert not out.exists()


def test_a_missing_generated_file_is_one_line_exit_2(tmp_path, capsys, records_of):
    real, out = tmp_path / "real.jsonl", tmp_path / "out.jsonl"
    write_records(records_of(5), real)
    code = main(["data", "convert", str(real), "-f", "jsonl", "-t", "story_completion", "-o", str(out), "--exclude-examples-of", str(tmp_path / "nope.jsonl")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "nope.jsonl" in err[0] and not out.exists()


def test_the_old_spelling_still_works_for_one_release(tmp_path, capsys, records_of):
    """``--exclude-seeds-of`` (before 0.2: "seed" also meant --seed) reads as --exclude-examples-of, with a notice."""
    real, gen, out = tmp_path / "real.jsonl", tmp_path / "gen.jsonl", tmp_path / "test.jsonl"
    write_records(records_of(40), real)
    _generate(tmp_path, real, gen)
    capsys.readouterr()
    shown = {sid for r in read_records(gen) for sid in r.provenance.seed_ids}
    assert main(["data", "convert", str(real), "-f", "jsonl", "-t", "story_completion", "-o", str(out), "--exclude-seeds-of", str(gen)]) == 0
    assert capsys.readouterr().err.strip() == ("warning: --exclude-seeds-of is deprecated and goes in synthdiv 0.2; "
                                               "use --exclude-examples-of")
    assert {r.id for r in read_records(out)}.isdisjoint(shown)
