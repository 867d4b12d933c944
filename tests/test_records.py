import json

import pytest

from synthdiv.errors import UserError
from synthdiv.records import Provenance, Record, content_id, dedupe_ids, prompt_hash


def make(**kw):
    base = dict(id="a", task="story_completion", context="One. Two. Three. Four.", target="Five.")
    return Record(**(base | kw))


def test_round_trip_keeps_every_field():
    rec = make(
        source="generated",
        group="g1",
        split="train",
        provenance=Provenance(strategy="topic", level="D3", topic="a dog", seed_ids=["x", "y"], backend="dummy",
                              model="m", prompt_hash="abc", sampling={"temperature": 0.7}, extra={"k": 1}),
        meta={"title": "t"},
    )
    again = Record.from_json(rec.to_json())
    assert again == rec
    assert json.loads(rec.to_json())["provenance"]["seed_ids"] == ["x", "y"]


def test_unknown_provenance_keys_survive_in_extra():
    rec = Record.from_dict({"task": "story_completion", "context": "c", "target": "t", "provenance": {"new_key": 3}})
    assert rec.provenance.extra == {"new_key": 3}
    assert rec.provenance.to_dict() == {"extra": {"new_key": 3}}


def test_missing_id_gets_content_hash_that_is_stable():
    data = {"task": "story_completion", "context": "c", "target": "t"}
    assert Record.from_dict(data).id == Record.from_dict(dict(data)).id == content_id("story_completion", "c", None, "t")
    assert content_id("story_completion", "c", None, "t") != content_id("story_completion", "c", None, "u")


@pytest.mark.parametrize(
    "data, message",
    [
        ({"task": "story_completion", "context": "c"}, "field 'target'"),
        ({"task": "poetry", "context": "c", "target": "t"}, "unknown task"),
        ({"task": "long_context_qa", "context": "c", "target": "t"}, "needs a non-empty 'question'"),
        ({"task": "story_completion", "context": "c", "target": "t", "source": "fake"}, "unknown source"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_records_name_the_place(data, message):
    with pytest.raises(UserError, match=message) as info:
        Record.from_dict(data, where="f.jsonl:7")
    assert str(info.value).startswith("f.jsonl:7: ")


def test_malformed_json_line():
    with pytest.raises(UserError, match=r"f.jsonl:3: malformed JSON"):
        Record.from_json("{not json", where="f.jsonl:3")


def test_dedupe_ids_suffixes_repeats_in_order():
    recs = dedupe_ids([make(id="a"), make(id="b"), make(id="a"), make(id="a")])
    assert [r.id for r in recs] == ["a", "b", "a-2", "a-3"]


def test_prompt_hash_is_canonical():
    a = [{"role": "user", "content": "hi"}]
    b = [{"content": "hi", "role": "user"}]
    assert prompt_hash(a) == prompt_hash(b)
    assert len(prompt_hash(a)) == 64
