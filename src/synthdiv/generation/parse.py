"""Turning raw model output into records, or into a reject with a reason.

The "parse the output" half of each generation step (the distilabel split):
a parse never raises on bad model text; it returns a :class:`Parsed` that is
either a value or a reason, and the runner keeps the raw text of every reject.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# A sentence ends at . ! or ? (optionally followed by closing quotes/brackets), then
# whitespace. Abbreviations such as "Mr." are protected before splitting.
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s)")
_ABBREVIATIONS = re.compile(r"\b(Mr|Mrs|Ms|Dr|St|Jr|Sr|Prof|vs|etc|e\.g|i\.e)\.", re.IGNORECASE)
# A text holds a match of _ABBREVIATIONS only if its casefold holds one of these (casefold maps every letter
# that IGNORECASE matches to these letters, except "İ" and "ı" for i): the cheap test first, the
# case-insensitive search (most of split_sentences' time) only where it can match.
_ABBREVIATION_HINTS = ("mr.", "mrs.", "ms.", "dr.", "st.", "jr.", "sr.", "prof.", "vs.", "etc.", "e.g.", "i.e.")
_COMPLETE = re.compile(r"[.!?][\"'”’)\]]*$")  # a sentence that ends as one
_LABEL = re.compile(r"^\s*\**\s*(?:story|new story|title|example)\s*\d*\s*\**\s*[:.-]\s*\**\s*", re.IGNORECASE)
_NUMBERING = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+")
_PREAMBLE = re.compile(r"^(?:sure|here|okay|ok|certainly|of course)\b.*:\s*$", re.IGNORECASE)


@dataclass
class Parsed:
    """A parse result: ``value`` when it worked, ``reason`` when rejected."""

    value: Any = None
    reason: str | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.reason is None


def word_count(text: str) -> int:
    return len(text.split())


def split_sentences(text: str) -> list[str]:
    """Sentences of one paragraph of prose; abbreviations do not end a sentence."""
    protected = text.strip()
    if _may_abbreviate(protected):
        protected = _ABBREVIATIONS.sub(lambda m: m.group(0)[:-1] + "\x00", protected)
    parts, start = [], 0
    for m in _SENTENCE_END.finditer(protected):
        parts.append(protected[start : m.end()])
        start = m.end()
    parts.append(protected[start:])
    return [p.replace("\x00", ".").strip() for p in parts if p.strip()]


def _may_abbreviate(text: str) -> bool:
    folded = text.casefold()
    return any(hint in folded for hint in _ABBREVIATION_HINTS) or "İ" in text or "ı" in text


def _story_lines(raw: str) -> list[str]:
    """Lines of the output minus chat preambles ("Here is a story:"), labels and numbering."""
    lines = []
    for line in raw.replace("\r", "").split("\n"):
        line = line.strip().strip("*").strip()
        if not line or _PREAMBLE.match(line):
            continue
        line = _NUMBERING.sub("", _LABEL.sub("", line))
        if line:
            lines.append(line)
    return lines


def _json_sentences(raw: str) -> str:
    """The sentences of a {"sentences": [...]} answer joined by spaces; any other text as it is."""
    text = raw.strip()
    if not text.startswith("{"):
        return raw
    import json

    try:
        value = json.loads(text)
    except ValueError:
        return raw
    sentences = value.get("sentences") if isinstance(value, dict) else None
    if not isinstance(sentences, list) or not all(isinstance(s, str) for s in sentences):
        return raw
    return " ".join(s.strip() for s in sentences)


def parse_story(raw: str, target_words: float, *, min_ratio: float = 0.5, max_ratio: float = 2.0, truncate: bool = True) -> Parsed:
    """Four context sentences and one target from a story output.

    Lines are joined (models put one sentence per line or one story per paragraph),
    then split into sentences; only complete sentences count, so an answer cut off by
    ``max_tokens`` loses its last fragment. More than five sentences: the first five are
    kept when ``truncate`` (small models rarely stop at five), else it is a reject.
    The story's word count must lie within [min_ratio, max_ratio] × the seeds' mean.
    A JSON answer {"sentences": [...]} (a backend's JSON-schema constraint) is read as its sentences."""
    lines = _story_lines(_json_sentences(raw))
    if not lines:
        return Parsed(reason="empty output")
    sentences = [s for s in split_sentences(" ".join(lines)) if _COMPLETE.search(s)]
    if len(sentences) < 5:
        return Parsed(reason=f"found {len(sentences)} complete sentences, need 5")
    notes = {}
    if len(sentences) > 5:
        if not truncate:
            return Parsed(reason=f"found {len(sentences)} sentences, need exactly 5")
        notes["truncated_from"] = len(sentences)
        sentences = sentences[:5]
    words = sum(word_count(s) for s in sentences)
    if target_words > 0 and not (min_ratio * target_words <= words <= max_ratio * target_words):
        return Parsed(reason=f"length {words} words is far from the seeds' {target_words:.0f} (allowed ×{min_ratio}–×{max_ratio})")
    notes["words"] = words
    return Parsed(value=(" ".join(sentences[:4]), sentences[4]), notes=notes)


_INSTRUCTION = re.compile(r"(?:^|(?<=\s))(?:\*\*)?\s*(?:instructions?|request|user|prompt)\s*(?:\*\*)?\s*:\s*(?:\*\*)?", re.IGNORECASE | re.MULTILINE)
_RESPONSE = re.compile(r"(?:^|(?<=\s))(?:\*\*)?\s*(?:responses?|answer|assistant|output)\s*(?:\*\*)?\s*:\s*(?:\*\*)?", re.IGNORECASE | re.MULTILINE)


def parse_instruction(raw: str, target_words: float, *, min_ratio: float = 0.25, max_ratio: float = 4.0,
                      max_instruction_words: int = 80) -> Parsed:
    """One ``Instruction: … / Response: …`` pair. The instruction runs from its label to the response's; the
    response to the next instruction label (a model that goes on writing more pairs) or the end. Its word
    count must lie within [min_ratio, max_ratio] × the seeds' mean (looser than a story's: answers to
    different requests differ in length). A JSON answer {"instruction", "response"} is read too."""
    text = raw.replace("\r", "").strip()
    if text.startswith("{"):
        import json

        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if isinstance(value, dict) and isinstance(value.get("instruction"), str) and isinstance(value.get("response"), str):
            text = f"Instruction: {value['instruction']}\nResponse: {value['response']}"
    start = _INSTRUCTION.search(text)
    if start is None:
        return Parsed(reason="no 'Instruction:' label")
    answer = _RESPONSE.search(text, start.end())
    if answer is None:
        return Parsed(reason="no 'Response:' label after the instruction")
    instruction = text[start.end():answer.start()].strip().strip("*").strip()
    following = _INSTRUCTION.search(text, answer.end())
    response = text[answer.end():following.start() if following else len(text)].strip().strip("*").strip()
    if not instruction:
        return Parsed(reason="empty instruction")
    if not response:
        return Parsed(reason="empty response")
    if word_count(instruction) > max_instruction_words:
        return Parsed(reason=f"instruction has {word_count(instruction)} words, more than {max_instruction_words}")
    words = word_count(response)
    if target_words > 0 and not (min_ratio * target_words <= words <= max_ratio * target_words):
        return Parsed(reason=f"response of {words} words is far from the seeds' {target_words:.0f} (allowed ×{min_ratio}–×{max_ratio})")
    notes = {"words": words} | ({"more_pairs_dropped": True} if following else {})
    return Parsed(value=(instruction, response), notes=notes)


_Q = re.compile(r"^\s*(?:\*\*)?(?:q|question)\s*\d*(?:\*\*)?\s*[:.)-]\s*(?:\*\*)?\s*(.+)$", re.IGNORECASE)
_A = re.compile(r"^\s*(?:\*\*)?(?:a|answer)\s*\d*(?:\*\*)?\s*[:.)-]\s*(?:\*\*)?\s*(.+)$", re.IGNORECASE)


def parse_qa_pair(raw: str, *, max_answer_words: int = 60) -> Parsed:
    """The first ``Question: … / Answer: …`` pair of an output."""
    question = answer = None
    for line in raw.replace("\r", "").split("\n"):
        if question is None and (m := _Q.match(line)):
            question = m.group(1).strip().strip("*").strip()
            # both on one line: "Question: …? Answer: …"
            if (split := re.split(r"\s+(?:answer|a)\s*:\s*", question, maxsplit=1, flags=re.IGNORECASE)) and len(split) == 2:
                question, answer = split[0].strip(), split[1].strip()
                break
        elif question is not None and (m := _A.match(line)):
            answer = m.group(1).strip().strip("*").strip()
            break
    if not question:
        return Parsed(reason="no 'Question:' line")
    if not answer:
        return Parsed(reason="no 'Answer:' line after the question")
    if word_count(answer) > max_answer_words:
        return Parsed(reason=f"answer has {word_count(answer)} words, more than {max_answer_words}")
    return Parsed(value=(question, answer))


def parse_paraphrase(raw: str, original: str) -> Parsed:
    """One paraphrased question: the first non-empty line, labels removed; must differ from the original."""
    for line in raw.replace("\r", "").split("\n"):
        line = line.strip().strip("*").strip()
        if not line or _PREAMBLE.match(line):
            continue
        line = _NUMBERING.sub("", line)
        if m := _Q.match(line):
            line = m.group(1)
        line = re.sub(r"^(?:paraphrase|paraphrased question|rewritten question)\s*\d*\s*:\s*", "", line, flags=re.IGNORECASE)
        line = line.strip().strip('"').strip()
        if not line:
            continue
        if _normal(line) == _normal(original):
            return Parsed(reason="paraphrase is identical to the original question")
        if word_count(line) > 3 * max(5, word_count(original)):
            return Parsed(reason="paraphrase is far longer than the original question")
        if not is_question(line):
            return Parsed(reason="paraphrase is a statement, not a question (no '?' and no question word first)")
        return Parsed(value=line)
    return Parsed(reason="empty output")


# First words that open an English question without a question mark ("Who is Tom's sister.").
QUESTION_WORDS = frozenset(
    "what who whom whose which when where why how is are was were am do does did can could will would shall should "
    "may might must has have had".split()
)
_PREPOSITIONS = frozenset("in on at for from to by with according".split())  # "In what year ...", "According to whom ..."
_QUESTION_OPENING = re.compile(r"^(?:in|on|at|for|from|to|by|with|according)\s+(?:to\s+)?(?:what|which|whom|whose|the\s+\w+,?\s+(?:what|who|which|how))\b")


def is_question(text: str) -> bool:
    """A question: it ends with '?', or it opens with a question word ("How did Tom feel."),
    or with a preposition and a question word ("In what year ..."). A statement the small
    offline model writes instead of a question ("Tom went home.") is neither."""
    text = text.strip().strip('"\'').strip()
    if text.endswith("?"):
        return True
    words = text.lower().split()
    if not words:
        return False
    if words[0] in _PREPOSITIONS:
        return bool(_QUESTION_OPENING.match(text.lower()))
    return words[0] in QUESTION_WORDS


_TOPIC_LABEL = re.compile(r"^(?:#+\s*)?(?:\d+[.)]\s*)*(?:(?:title|topic|theme)\s*\d*\s*[:.-]\s*)?", re.IGNORECASE)
_NOT_A_TOPIC = {"and", "but", "or", "with", "as", "such", "these", "this", "in", "what", "i", "by", "here", "note", "no", "yes"}


def parse_topic_lines(raw: str) -> list[str]:
    """Candidate topics from a list answer: one per line or comma-separated. Numbering,
    markdown and "Title:"/"Topic 1:" labels are removed; an explanation after a colon or
    dash is dropped; fragments that are not topics (numbers only, a sentence starting with
    "and"/"but"/…, talk about "topics", questions) are skipped."""
    out = []
    for line in raw.replace("\r", "").split("\n"):
        line = line.strip()
        if not line or _PREAMBLE.match(line) or line.endswith(":"):
            continue
        for piece in line.split(","):  # topics rarely hold a comma; lists often do
            piece = _NUMBERING.sub("", piece.strip()).strip().strip("\"*#").strip()
            piece = _TOPIC_LABEL.sub("", piece).strip().strip("\"*").strip()
            piece = re.split(r"\s*[:–]\s+|\s+-\s+|\s*\(", piece, maxsplit=1)[0]  # "Topic: explanation", "Topic (note)"
            piece = piece.strip().strip("\"'*.,;").strip()
            words = piece.split()
            if not words or not re.search(r"[A-Za-z]{2}", piece) or len(piece) > 40 or len(words) > 4:
                continue
            if words[0].lower() in _NOT_A_TOPIC or re.search(r"topic|explanation", piece, re.IGNORECASE) or piece.endswith(("?", "!")):
                continue
            out.append(piece)
    return out


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())
