"""Dropping the real records that generation prompts showed (synthdiv.data.seed_exclusion)."""

import pytest

from synthdiv.data.records_io import write_records
from synthdiv.data.seed_exclusion import exclude_seeds, exclude_seeds_of, seed_ids_of
from synthdiv.errors import UserError
from synthdiv.records import Provenance, Record


def generated(rid: str, seed_ids) -> Record:
    return Record(id=rid, task="story_completion", context="a b c", target="d", source="generated",
                  provenance=Provenance(strategy="topic", seed_ids=seed_ids))


def test_drops_exactly_the_shown_ids_and_keeps_order(records_of):
    records = records_of(6)
    result = exclude_seeds(records, ["s4", "s1", "not-in-the-file"])
    assert [r.id for r in result.kept] == ["s0", "s2", "s3", "s5"]
    assert result.dropped == 2 and result.seed_ids == 3


def test_seed_ids_are_collected_across_files(tmp_path, records_of):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_records([generated("g1", ["s0", "s1"]), generated("g2", ["s1"])], a)
    write_records([generated("g3", ["s5"]), generated("g4", [])], b)
    assert seed_ids_of(a) == {"s0", "s1"}
    result = exclude_seeds_of(records_of(6), [a, b])
    assert [r.id for r in result.kept] == ["s2", "s3", "s4"] and result.seed_ids == 3


def test_prompts_that_showed_no_seeds_are_provenance(tmp_path, records_of):
    path = tmp_path / "k0.jsonl"
    write_records([generated("g1", [])], path)
    result = exclude_seeds_of(records_of(3), [path])
    assert result.dropped == 0 and len(result.kept) == 3


def test_a_file_without_seed_provenance_is_refused(tmp_path, records_of):
    path = tmp_path / "real.jsonl"
    write_records(records_of(3), path)
    with pytest.raises(UserError, match=r"--exclude-examples-of: no record of .*real.jsonl carries provenance.seed_ids"):
        seed_ids_of(path)


def test_nothing_left_is_refused(records_of):
    with pytest.raises(UserError, match="all 2 records were shown as seeds"):
        exclude_seeds(records_of(2), ["s0", "s1"])


def test_convert_takes_exclude_examples_of_and_its_old_name_for_one_release(tmp_path, records_of, capsys):
    from synthdiv.data import convert

    real, shown = tmp_path / "real.jsonl", tmp_path / "gen.jsonl"
    write_records(records_of(6), real)
    write_records([generated("g1", ["s0", "s1"])], shown)
    new = convert(real, tmp_path / "new.jsonl", exclude_examples_of=[shown])
    assert capsys.readouterr().err == ""
    old = convert(real, tmp_path / "old.jsonl", exclude_seeds_of=[shown])
    assert "warning: convert(exclude_seeds_of=…) is deprecated and goes in synthdiv 0.2; use exclude_examples_of" in capsys.readouterr().err
    assert {**new, "out": None} == {**old, "out": None} and new["dropped"] == 2
    assert (tmp_path / "new.jsonl").read_text() == (tmp_path / "old.jsonl").read_text()
