"""Test loss of a causal LM on target tokens (paper §4.1: models are compared by test loss)."""

from synthdiv.lazy import lazy_exports

_EXPORTS = {
    "EvalResult": "synthdiv.evaluation.heldout_loss",
    "evaluate": "synthdiv.evaluation.heldout_loss",
    "evaluate_base": "synthdiv.evaluation.heldout_loss",
    "load_for_evaluation": "synthdiv.evaluation.loading",
}
__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
