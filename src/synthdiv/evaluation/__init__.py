"""Test loss of a causal LM on target tokens (paper §4.1: models are compared by test loss)."""

__all__ = ["EvalResult", "evaluate", "evaluate_base", "load_for_evaluation"]


def __getattr__(name):
    if name in ("EvalResult", "evaluate", "evaluate_base"):
        from synthdiv.evaluation import test_loss

        return getattr(test_loss, name)
    if name == "load_for_evaluation":
        from synthdiv.evaluation.loading import load_for_evaluation

        return load_for_evaluation
    raise AttributeError(name)
