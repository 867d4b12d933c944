"""Choices and defaults of the metrics that ``synthdiv diversity`` and ``shift`` offer as options.

They live in a module without numpy so that the CLI can derive its option defaults from
them while ``synthdiv --help`` imports nothing heavy; the metric modules import them
from here, so each is defined once.
"""

from __future__ import annotations

from dataclasses import dataclass

from synthdiv.errors import UserError
from synthdiv.metrics.registry import DIVERSITY, names

# Which compression ratios diversity_report computes: zstd (ours), gzip (the diversity
# package's, for published numbers) or both.
COMPRESSION_CHOICES = ("zstd", "gzip", "both")
DEFAULT_COMPRESSION = "zstd"

# nltk SmoothingFunction methods self-BLEU computes; "none" is nltk's default (method0),
# method1 is Texygen's and fast-bleu's (smoothing_func=1).
SMOOTHINGS = ("none", "method1", "method2")
DEFAULT_SMOOTHING = "none"

# What diversity_report computes (``synthdiv diversity --metrics``): the registry's diversity metrics. The
# default is the lexical ones, and embedding as well when an embedder is given.
DIVERSITY_METRICS = names(DIVERSITY)

# MAUVE settings (synthdiv.metrics.mauve_score.SETTINGS): ours (k-means++ for seeds 0, 1, 2) or
# mauve-text's compute_mauve defaults (faiss k-means, 5 restarts, seed 25).
MAUVE_SETTINGS = ("synthdiv", "mauve-text")
DEFAULT_MAUVE_SETTING = "synthdiv"

# Gradient diversity (synthdiv.metrics.gradient): which parameters' gradients are measured.
PARAMETER_SETS = ("lora", "full")


@dataclass(frozen=True)
class GradientSettings:
    """Gradient diversity's settings (synthdiv.metrics.gradient). ``proxy``: the model whose gradients are
    measured (the offline SmolLM2 by default; any causal LM). ``params``: ``lora`` (the training's adapters,
    seeded) or ``full``. ``dim``: the projection's size, the paper's 1,024. ``seed``: the LoRA initialisation
    and the projection. ``max_length``: the training's default (longer prompts are cut from the left, as in
    training)."""

    proxy: str = "smollm2-135m-instruct"
    params: str = "lora"
    dim: int = 1024
    seed: int = 0
    max_length: int = 512

    def check(self) -> None:
        if self.params not in PARAMETER_SETS:
            raise UserError(f"unknown parameter set {self.params!r}; use {' or '.join(PARAMETER_SETS)}", where="--gradient-params")
        if isinstance(self.dim, bool) or not isinstance(self.dim, int) or self.dim < 1:
            raise UserError(f"the projection dimension must be a positive whole number (got {self.dim!r})", where="--gradient-dim")


GRADIENT = GradientSettings()


@dataclass(frozen=True)
class FluencySettings:
    """Fluency's settings (synthdiv.metrics.fluency). ``reference``: the causal LM whose loss on a record's
    target tokens is its fluency (the offline SmolLM2 by default; any causal LM). ``max_length`` and
    ``batch_size``: as evaluation (the batch size does not change a record's loss)."""

    reference: str = "smollm2-135m-instruct"
    max_length: int = 512
    batch_size: int = 8


FLUENCY = FluencySettings()
