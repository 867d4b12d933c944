import pytest

from synthdiv.errors import UserError
from synthdiv.records import Record
from synthdiv.tasks import measured_text, prompt_text, target_text

STORY = Record(id="s", task="story_completion", context="A b. C d. E f. G h.", target=" I j. ")
QA = Record(id="q", task="long_context_qa", context="Long text.", question="Who?", target="Me.", group="d")


def test_prompt_and_target():
    assert prompt_text(STORY) == "A b. C d. E f. G h. "
    assert target_text(STORY) == "I j."
    assert prompt_text(QA) == "Long text.\n\nQuestion: Who?\nAnswer: "
    assert target_text(QA) == "Me."


def test_measured_text_defaults_follow_the_paper():
    assert measured_text(STORY) == "A b. C d. E f. G h. I j."
    assert measured_text(QA) == "Who? Me."  # the long context is excluded
    assert measured_text(QA, ("context",)) == "Long text."


def test_measured_text_unknown_field():
    with pytest.raises(UserError, match="no field 'answer'"):
        measured_text(QA, ("answer",))
