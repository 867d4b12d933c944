"""The exact messages each step sends, built from given inputs (the templates are
part of the method: a changed word changes the data, so it must show up here)."""

from __future__ import annotations

import pytest

from synthdiv.errors import UserError
from synthdiv.generation import prompts
from synthdiv.records import Record


def story(i: int) -> Record:
    return Record(id=f"s{i}", task="story_completion", context=f"A{i}. B{i}. C{i}. D{i}.", target=f"E{i}.")


def qa(i: int) -> Record:
    return Record(id=f"q{i}", task="long_context_qa", context="The long text.", question=f"Who is {i}?", target=f"Person {i}.", group="doc")


def test_story_prompt_is_exact():
    msgs = prompts.story_messages("Time travel", [story(1), story(2)], 42)
    assert msgs == [
        {"role": "system", "content": "You write short everyday stories. Every story has exactly five sentences and about 42 words in total. "
                                      "Reply with the story only: no title, no list, no comments."},
        {"role": "user", "content": "Write a five-sentence story."},
        {"role": "assistant", "content": "A1. B1. C1. D1. E1."},
        {"role": "user", "content": "Write a five-sentence story."},
        {"role": "assistant", "content": "A2. B2. C2. D2. E2."},
        {"role": "user", "content": 'Write a new five-sentence story of about 42 words about the topic "Time travel".'},
    ]


def test_topics_prompt_is_exact():
    msgs = prompts.topics_messages(25, ["Love", "War"])
    assert msgs == [
        {"role": "system", "content": "You suggest topics for short stories. A topic is one to three words."},
        {"role": "user", "content": "List 25 new topics for short stories, one topic per line, without numbers or explanations. "
                                    "Make them varied, in the style of these: Love, War."},
    ]


def test_qa_pair_prompt_is_exact():
    msgs = prompts.qa_pair_messages("The long text.", [qa(1), qa(2)])
    assert msgs[0] == {"role": "system", "content": "You write question-answer pairs about a text for a reading-comprehension dataset. "
                       "Reply with exactly one question-answer pair in the form:\nQuestion: <question>\nAnswer: <short answer>"}
    assert msgs[1] == {"role": "user", "content": "Text:\nThe long text.\n\nExample question-answer pairs about this text:\n\n"
                       "Question: Who is 1?\nAnswer: Person 1.\n\nQuestion: Who is 2?\nAnswer: Person 2.\n\n"
                       "Write one new question-answer pair about the text, different from the examples. "
                       "Keep the answer as short as in the examples."}


def test_paraphrase_prompt_is_exact():
    msgs = prompts.paraphrase_messages("Where does Ann live?", "In Paris.", qa(3))
    assert msgs == [
        {"role": "system", "content": "You paraphrase questions: the same meaning in different words, so that the same answer still fits. "
                                      "Reply with the paraphrased question only."},
        {"role": "user", "content": "A question-answer pair about the same text, for reference:\nQuestion: Who is 3?\nAnswer: Person 3.\n\n"
                                    'Paraphrase this question; its answer must stay "In Paris.".\nQuestion: Where does Ann live?'},
    ]


def test_a_prompts_dir_replaces_templates(tmp_path):
    (tmp_path / "topics.txt").write_text("# mine\n[system]\nS $count\n[user]\nU $examples\n", encoding="utf-8")
    prompts.load_template.cache_clear()
    msgs = prompts.topics_messages(3, ["x"], prompts_dir=str(tmp_path))
    assert msgs == [{"role": "system", "content": "S 3"}, {"role": "user", "content": "U x"}]
    with pytest.raises(UserError, match="story.txt"):
        prompts.story_messages("t", [story(1)], 5, prompts_dir=str(tmp_path))


def test_unknown_template_variable_is_a_user_error(tmp_path):
    (tmp_path / "topics.txt").write_text("[system]\n$nope\n[user]\nx\n", encoding="utf-8")
    prompts.load_template.cache_clear()
    with pytest.raises(UserError, match=r"\$nope"):
        prompts.topics_messages(3, ["x"], prompts_dir=str(tmp_path))
