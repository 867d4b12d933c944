"""Output constraints: the answer's format enforced by the decoder, where the backend can.

A small model that is asked for five sentences often writes three, a title, or a list;
each such answer is a paid request thrown away. A backend that decodes with a grammar
(llama.cpp), a regular expression (vLLM) or a JSON schema (OpenAI's ``response_format``,
which vLLM and llama.cpp's server also take) cannot write them. One definition per
constraint, in the three forms; each backend sends the one it understands:

=================  =======================================================================
llamacpp           ``grammar=`` a GBNF grammar (llama_cpp.LlamaGrammar)
vllm               a regular expression (guided decoding / structured outputs)
openai             ``response_format`` with the JSON schema (``constraint_mode: json_schema``,
                   the default), or llama.cpp server's ``grammar`` field (``constraint_mode: grammar``)
transformers       none: the parser checks the answer (a warning says so once)
=================  =======================================================================

A JSON answer ({"sentences": [...]}) is turned back into text by the story parser, so the
rest of the pipeline never sees the difference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from synthdiv.errors import UserError


@dataclass(frozen=True)
class OutputConstraint:
    name: str
    gbnf: str
    regex: str
    json_schema: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """Of all three forms: a changed grammar keys the cache anew (cached answers obeyed the old one)."""
        import hashlib
        import json

        blob = json.dumps([self.gbnf, self.regex, self.json_schema], sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


# A sentence is at most SENTENCE_CHARS characters: without a bound a small model loops inside one
# run-on sentence ("and he put it on himself again, and ...") until max_tokens cuts it, and the
# grammar has then forced nothing. Five sentences of 140 characters are about 150 tokens, inside the
# story step's default budget of 160.
SENTENCE_CHARS = 140
_SENTENCE_GBNF = f'[A-Z"] [^.!?\\n]{{2,{SENTENCE_CHARS}}} [.!?]'
_SENTENCE_RE = rf'[A-Z"][^.!?\n]{{2,{SENTENCE_CHARS}}}[.!?]'

FIVE_SENTENCES = OutputConstraint(
    name="five_sentences",
    gbnf=f"root ::= sentence \" \" sentence \" \" sentence \" \" sentence \" \" sentence\nsentence ::= {_SENTENCE_GBNF}\n",
    regex=rf"{_SENTENCE_RE}( {_SENTENCE_RE}){{4}}",
    json_schema={
        "name": "five_sentence_story",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"sentences": {"type": "array", "items": {"type": "string", "maxLength": SENTENCE_CHARS + 2},
                                          "minItems": 5, "maxItems": 5}},
            "required": ["sentences"],
            "additionalProperties": False,
        },
    },
)

CONSTRAINTS = {c.name: c for c in (FIVE_SENTENCES,)}
CONSTRAINT_MODES = ("json_schema", "grammar")  # how the openai backend sends a constraint


def get_constraint(name: str) -> OutputConstraint:
    if name not in CONSTRAINTS:
        raise UserError(f"unknown output constraint {name!r}; use one of {', '.join(CONSTRAINTS)}")
    return CONSTRAINTS[name]


def openai_fields(name: str | None, mode: str = "json_schema") -> dict[str, Any]:
    """The request-body fields of a constraint for an OpenAI-compatible server."""
    if name is None:
        return {}
    c = get_constraint(name)
    if mode == "grammar":
        return {"grammar": c.gbnf}  # llama.cpp server
    return {"response_format": {"type": "json_schema", "json_schema": c.json_schema}}
