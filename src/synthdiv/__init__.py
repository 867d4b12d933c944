"""synthdiv: study and control the diversity of LLM-generated training data.

The short API (:mod:`synthdiv.api`), one call per stage, each returning a typed result with ``.to_dict()``:

    import synthdiv
    records = synthdiv.read("my_data.jsonl")        # text, prompt/completion, chat messages, HF datasets …
    synthdiv.diversity(records).ngram_diversity_score
    synthdiv.shift("real.jsonl", "generated.jsonl").verdict

``read``, ``diversity``, ``shift``, ``generate``, ``mix``, ``select``, ``train``, ``evaluate`` and ``compare``
load what they need when called: ``import synthdiv`` imports no torch, numpy or model library. Each stage's
own package (``synthdiv.data``, ``synthdiv.metrics``, ``synthdiv.generation`` …) holds the rest.
"""

from synthdiv.errors import UserError
from synthdiv.lazy import lazy_exports
from synthdiv.records import Provenance, Record

__version__ = "0.1.0"

_API = ("read", "diversity", "shift", "generate", "mix", "select", "train", "evaluate", "compare",
        "Diversity", "Shift", "Generated", "Evaluation", "Comparison")
_EXPORTS = {name: "synthdiv.api" for name in _API}
__all__ = ["Provenance", "Record", "UserError", "__version__", *_API]

__getattr__, _dir = lazy_exports(__name__, _EXPORTS, globals())


def __dir__() -> list[str]:
    return sorted(__all__)
