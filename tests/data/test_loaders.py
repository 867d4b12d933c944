import pytest

from synthdiv.data.inputs import read_input
from synthdiv.data.loaders import load_rocstories, load_story_cloze
from synthdiv.errors import UserError

CLOZE_HEADER = "InputSentence1,InputSentence2,InputSentence3,InputSentence4,RandomFifthSentenceQuiz1,RandomFifthSentenceQuiz2,AnswerRightEnding\n"


def test_story_cloze_real_sample(story_cloze_csv):
    records = load_story_cloze(story_cloze_csv)
    assert len(records) == 700
    assert len({r.id for r in records}) == 700
    first = records[0]
    assert first.context.startswith("One day, police were investigating a crime scene.")
    assert first.target == "The police found the perpetrator and locked her up."  # AnswerRightEnding = 1
    assert records[1].target == "He found the cow and brought it back."  # AnswerRightEnding = 2
    assert records[1].meta["wrong_ending"].startswith("He noticed the cow")
    assert first.group == first.id and first.provenance.row == 2 and first.provenance.dataset == "story_cloze"


def test_story_cloze_bad_answer(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(CLOZE_HEADER + "a.,b.,c.,d.,e.,f.,1\na.,b.,c.,d.,e.,f.,3\n")
    with pytest.raises(UserError, match=r"c.csv:3: field 'AnswerRightEnding' is '3'; it must be 1 or 2"):
        load_story_cloze(path)


def test_story_cloze_missing_column(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("InputSentence1,InputSentence2\na,b\n")
    with pytest.raises(UserError, match="no column 'InputSentence3'"):
        load_story_cloze(path)


def test_story_cloze_empty_field(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(CLOZE_HEADER + "a.,,c.,d.,e.,f.,2\n")
    with pytest.raises(UserError, match=r"c.csv:2: field 'InputSentence2' is empty"):
        load_story_cloze(path)


def test_rocstories(tmp_path):
    path = tmp_path / "roc.csv"
    path.write_text(
        "storyid,storytitle,sentence1,sentence2,sentence3,sentence4,sentence5\n"
        "s1,Dog,A dog ran.,It was fast.,It stopped.,It sat.,It slept.\n"
        "s2,Cat,\"A cat, grey.\",It ate.,It hid.,It purred.,It left.\n"
    )
    records = load_rocstories(path)
    assert [r.id for r in records] == ["s1", "s2"]
    assert records[1].context == "A cat, grey. It ate. It hid. It purred."
    assert records[1].target == "It left." and records[1].meta == {"title": "Cat"}


def test_generic_csv_with_named_columns(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("doc,q,a,ctx\nd1,Who?,Me,Long story.\nd1,What?,It,Long story.\n")
    records = read_input(path, fmt="csv", task="long_context_qa",
                         columns={"group": "doc", "question": "q", "target": "a", "context": "ctx"})
    assert [(r.group, r.question, r.target) for r in records] == [("d1", "Who?", "Me"), ("d1", "What?", "It")]


def test_generic_jsonl_missing_column(tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_text('{"query": "x", "response": "y"}\n')
    with pytest.raises(UserError, match=r"no column 'context'.*--column context=NAME"):
        read_input(path, fmt="jsonl", task="story_completion")
    recs = read_input(path, fmt="jsonl", task="story_completion", columns={"context": "query", "target": "response"})
    assert recs[0].context == "x" and recs[0].group == recs[0].id

