"""Parsing raw model output: stories, QA pairs, paraphrases, topic lists."""

from __future__ import annotations

from synthdiv.generation.parse import parse_paraphrase, parse_qa_pair, parse_story, parse_topic_lines, split_sentences

FIVE = "Ann woke up early. She made tea for Mr. Smith. It rained all day! Was it cold? They stayed inside and read."


def test_five_sentences_split_into_context_and_target():
    p = parse_story(FIVE, target_words=21)
    assert p.ok
    assert p.value == ("Ann woke up early. She made tea for Mr. Smith. It rained all day! Was it cold?", "They stayed inside and read.")


def test_preamble_labels_and_line_breaks_are_removed():
    raw = "Here is a new story about the topic:\n\n**Story 1:** Ann woke up early.\nShe made tea for Mr. Smith.\n1. It rained all day!\nWas it cold? They stayed inside and read."
    assert parse_story(raw, 21).value == parse_story(FIVE, 21).value


def test_more_than_five_sentences_truncate_or_reject():
    raw = FIVE + " Then they slept. The end."
    p = parse_story(raw, 21)
    assert p.ok and p.notes["truncated_from"] == 7 and p.value[1] == "They stayed inside and read."
    assert "exactly 5" in parse_story(raw, 21, truncate=False).reason


def test_unfinished_last_sentence_does_not_count():
    p = parse_story("One. Two is here. Three is here. Four is here. And the fifth was cut off by the tok", 5)
    assert not p.ok and "4 complete sentences" in p.reason


def test_length_far_from_seeds_is_rejected():
    assert "far from" in parse_story(FIVE, target_words=100).reason
    assert "far from" in parse_story(FIVE, target_words=5).reason
    assert parse_story("", 10).reason == "empty output"


def test_split_sentences_keeps_closing_quotes():
    assert split_sentences('He said "stop." She left.') == ['He said "stop."', "She left."]


def test_qa_pair_forms():
    assert parse_qa_pair("Question: Who came?\nAnswer: Tom.").value == ("Who came?", "Tom.")
    assert parse_qa_pair("Sure!\n**Q:** Who came?\n**A:** Tom.").value == ("Who came?", "Tom.")
    assert parse_qa_pair("Question: Who came? Answer: Tom.").value == ("Who came?", "Tom.")
    assert parse_qa_pair("Tom came.").reason == "no 'Question:' line"
    assert parse_qa_pair("Question: Who came?").reason == "no 'Answer:' line after the question"
    assert "more than" in parse_qa_pair("Q: x?\nA: " + "word " * 70, max_answer_words=60).reason


def test_paraphrase_forms():
    assert parse_paraphrase("Paraphrased question: Who arrived?", "Who came?").value == "Who arrived?"
    assert parse_paraphrase("Here is the paraphrase:\n\"Who arrived?\"", "Who came?").value == "Who arrived?"
    assert parse_paraphrase("Who came ?", "Who came?").reason == "paraphrase is identical to the original question"
    assert parse_paraphrase("\n\n", "Who came?").reason == "empty output"


def test_topic_lines():
    raw = "Here are topics:\n1. Lost keys\n- Night train - a story about trains\n3) The moon\nA very long line that is clearly an explanation and not a topic at all"
    assert parse_topic_lines(raw) == ["Lost keys", "Night train", "The moon"]
    assert parse_topic_lines("Love, War, Peace") == ["Love", "War", "Peace"]


def test_topic_lines_drop_labels_and_fragments_small_models_write():
    raw = ("Title: Magic\n### 2. \"The Machine\"\nSurvival: In this genre heroes\n1\nand death\nThese topics are Courage\n"
           "Magic, Illusion\nWhat do these suggest?\nwithout numbers or explanations\nTime travel (from the future)")
    assert parse_topic_lines(raw) == ["Magic", "The Machine", "Survival", "Magic", "Illusion", "Time travel"]


def test_statements_are_not_paraphrased_questions():
    from synthdiv.generation.parse import is_question

    assert parse_paraphrase("Tom went home after the war.", "Where did Tom go?").reason.startswith("paraphrase is a statement")
    assert parse_paraphrase("How did Tom feel.", "What did Tom feel?").value == "How did Tom feel."
    assert parse_paraphrase("In what year did the war end", "When did the war end?").value == "In what year did the war end"
    assert [is_question(t) for t in ("Tom left?", "Did Tom leave", "In the house, what was hidden", "In the house a cat slept.", "")] == \
        [True, True, True, False, False]


def test_the_abbreviation_hint_misses_no_spelling_the_case_insensitive_pattern_matches():
    """split_sentences runs the case-insensitive abbreviation pattern only where a cheap casefold test says it may
    match: every spelling it matches (any case, "K" for k, "ſ" for s, "ı" for i, …) must pass that test."""
    import re

    from synthdiv.generation.parse import _ABBREVIATIONS, _may_abbreviate

    letters = set("mrsdtjpofvecgi")
    variants = {c: [chr(cp) for cp in range(0x10000) if re.fullmatch(c, chr(cp), re.IGNORECASE)] for c in letters}
    assert "ſ" in variants["s"] and "ı" in variants["i"]  # letters whose casefold is not the ASCII one
    for abbreviation in ("Mr", "Mrs", "Ms", "Dr", "St", "Jr", "Sr", "Prof", "vs", "etc", "e.g", "i.e"):
        for i, c in enumerate(abbreviation):
            for v in variants.get(c.lower(), [c]):
                text = f"She met {abbreviation[:i]}{v}{abbreviation[i + 1:]}. Smith at noon."
                if _ABBREVIATIONS.search(text):
                    assert _may_abbreviate(text), text
    plain = "The old river found the kitten. It was warm."
    assert not _may_abbreviate(plain) and split_sentences(plain) == ["The old river found the kitten.", "It was warm."]
    assert split_sentences("Mr. Smith came. He left.") == ["Mr. Smith came.", "He left."]
