"""Gradient diversity: G-Vendi (Jung et al. 2025, "Prismatic Synthesis", arXiv 2505.20161).

Diversity as the student sees it. For each record:

1. the gradient of a small proxy model's mean loss on the record's target tokens, on exactly the
   tokens and mask training uses (:func:`synthdiv.training.encoding.encode_records`,
   :class:`synthdiv.training.loss.TargetNLL`: prompt tokens carry no loss), with respect to
   ``lora`` parameters (default) or every parameter (``full``);
2. projected to ``dim`` dimensions (1,024) with a seeded Rademacher matrix R (entries ±1/sqrt(dim));
3. normalised to unit length.

The set's G-Vendi is the Vendi score of order 1 of those vectors: exp(entropy of the eigenvalues of
GᵀG/N), computed from the smaller of the N×N and dim×dim Gram matrices
(:func:`synthdiv.metrics.embedding.similarity_eigenvalues`). It runs from 1 (every record pulls the
model the same way) to min(N, dim).

The LoRA adapters are the training's (rank 8, alpha 16, the same target modules, no dropout),
initialised from ``seed``. PEFT initialises B = 0, so at initialisation dL/dA = 0 (A's gradient
passes through B) and dL/dB = (dL/dh)(A x)ᵀ is not: the vector is in effect the gradient with respect
to B, seen through the random down-projection A. Both A and B are kept in the vector (A's part is
zeros), so the parameter order is the adapter's own and ``full`` and ``lora`` are built the same way.

R is never held whole: with D parameters it is D×dim (0.9M × 1,024 for SmolLM2's LoRA), so its rows
are made ``CHUNK_ROWS`` at a time from one torch Generator seeded with ``seed``, in order, and the
gradients of a batch of records are multiplied chunk by chunk. :func:`rademacher_matrix` makes the
whole matrix the same way, for tests on small D.

Projected vectors are cached per record under ``$SYNTHDIV_CACHE/gradients/`` (one SQLite file per
proxy, atomic inserts), keyed by the record's model text and everything that decides its vector
(proxy, parameter set, LoRA shape, dim, seed, max length): a rerun, or a larger set holding these
records, computes only the new ones. A proxy given as a local folder is keyed by its name: after
changing the weights in place, clear the cache.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from synthdiv.metrics.choices import GRADIENT, GradientSettings

if TYPE_CHECKING:
    import torch

    from synthdiv.records import Record

CHUNK_ROWS = 8192  # rows of R made at once: 8,192 × 1,024 float32 = 32 MiB
PASS_BYTES = 512 * 2**20  # per-record gradients held at once before they are projected
KEY_VERSION = 1  # bump when what a cached vector means changes (CHUNK_ROWS, the loss, the encoding)


# ----- the projection ---------------------------------------------------------------------------------
def rademacher_chunks(rows: int, dim: int, seed: int):
    """(start row, chunk) of the rows×dim Rademacher matrix (entries ±1/sqrt(dim)), ``CHUNK_ROWS`` rows at a
    time, all from one Generator seeded with ``seed``: the same matrix whatever the caller does with it.
    The generator draws random bytes, whose bits (numpy's unpackbits, most significant first) are the
    signs: a third of the time of drawing one integer per entry."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    scale = 1.0 / float(dim) ** 0.5
    for start in range(0, rows, CHUNK_ROWS):
        raw = torch.randint(0, 256, (min(CHUNK_ROWS, rows - start), -(-dim // 8)), generator=generator, dtype=torch.uint8)
        bits = torch.from_numpy(np.unpackbits(raw.numpy(), axis=1)[:, :dim])
        yield start, bits.float().mul_(2.0 * scale).sub_(scale)


def rademacher_matrix(rows: int, dim: int, seed: int) -> torch.Tensor:
    """The whole projection matrix (tests, small D): the chunks stacked."""
    import torch

    return torch.cat([chunk for _, chunk in rademacher_chunks(rows, dim, seed)])


def project(gradients: torch.Tensor, dim: int, seed: int) -> np.ndarray:
    """``gradients`` (n, D) times R (D, dim), chunk by chunk; float64 (n, dim)."""
    import torch

    out = torch.zeros(gradients.shape[0], dim, dtype=torch.float64)
    for start, chunk in rademacher_chunks(gradients.shape[1], dim, seed):
        out += (gradients[:, start : start + chunk.shape[0]] @ chunk).double()
    return out.numpy()


# ----- per-record gradients -----------------------------------------------------------------------------
def with_parameters(model, params: str, seed: int):
    """(model, its measured parameters in order): the training's LoRA adapters (no dropout), initialised
    from ``seed`` without touching the global random state, or every parameter."""
    import torch

    if params == "full":
        for p in model.parameters():
            p.requires_grad_(True)
        return model, list(model.parameters())
    from synthdiv.training.config import TrainConfig
    from synthdiv.training.recipe import add_lora

    name = getattr(model, "name_or_path", "") or "proxy"
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        wrapped = add_lora(model, TrainConfig(model=name, lora_dropout=0.0))
    return wrapped, [p for p in wrapped.parameters() if p.requires_grad]


def record_gradients(model, tokenizer, records: Sequence[Record], parameters: list, max_length: int) -> torch.Tensor:
    """(n, D) float32: per record, d(mean NLL of its target tokens)/d(parameters), flattened in order."""
    import torch

    from synthdiv.training.encoding import collate, encode_records
    from synthdiv.training.loss import TargetNLL

    data = encode_records(list(records), tokenizer, max_length)
    scorer = TargetNLL(model)
    model.eval()  # no dropout: a record's gradient is a function of the record
    rows = []
    for example in data.examples:
        batch = collate([example], tokenizer.pad_token_id)
        nll, tokens = scorer(**batch)
        grads = torch.autograd.grad(nll.sum() / tokens.sum(), parameters, allow_unused=True)
        rows.append(torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1).float()
                               for g, p in zip(grads, parameters)]))
    return torch.stack(rows)


def _projected(model, tokenizer, records: Sequence[Record], parameters: list, settings: GradientSettings) -> np.ndarray:
    """Gradients of ``records`` projected, a pass of at most ``PASS_BYTES`` of gradients at a time."""
    size = sum(p.numel() for p in parameters)
    per_pass = max(1, PASS_BYTES // (4 * size))
    parts = [project(record_gradients(model, tokenizer, records[i : i + per_pass], parameters, settings.max_length),
                     settings.dim, settings.seed)
             for i in range(0, len(records), per_pass)]
    return np.concatenate(parts)


def record_key(record: Record, settings: GradientSettings) -> str:
    """What decides a record's projected gradient: its model text and the settings."""
    from synthdiv.tasks import target_text

    what = "\0".join(map(str, (KEY_VERSION, settings.proxy, _parameter_set(settings), settings.dim, settings.seed,
                               settings.max_length, record.task, record.context, record.question or "",
                               record.messages or "", target_text(record))))
    return hashlib.sha256(what.encode("utf-8")).hexdigest()


def _parameter_set(settings: GradientSettings) -> str:
    from synthdiv.training.config import TrainConfig

    if settings.params == "full":
        return "full"
    lora = TrainConfig(model=settings.proxy)
    return f"lora-r{lora.lora_r}-a{lora.lora_alpha}-{lora.target_modules or 'default-targets'}"


def gradient_vectors(records: Sequence[Record], settings: GradientSettings = GRADIENT, *, model=None, tokenizer=None) -> np.ndarray:
    """Unit vectors (len(records), dim), float64: each record's projected gradient (see the module
    docstring), read from the cache where it is there. The proxy is loaded only when some record is
    missing; a ``model`` passed in is copied, not changed."""
    from synthdiv.metrics.embedding import unit_rows
    from synthdiv.metrics.vector_cache import cache_file, cached_vectors

    settings.check()
    records = list(records)

    def compute(positions: list[int]) -> np.ndarray:
        if model is None:
            from synthdiv.models.registry import load_causal_lm

            proxy, tok = load_causal_lm(settings.proxy)
        else:
            proxy, tok = copy.deepcopy(model), tokenizer
        proxy, parameters = with_parameters(proxy, settings.params, settings.seed)
        return _projected(proxy, tok, [records[i] for i in positions], parameters, settings)

    keys = [record_key(r, settings) for r in records]
    vectors = cached_vectors(cache_file("gradients", settings.proxy), keys, compute, what="the gradient cache")
    return unit_rows(vectors) if len(records) else np.zeros((0, settings.dim))


# ----- the score ------------------------------------------------------------------------------------------
def g_vendi(vectors: np.ndarray) -> float | None:
    """Vendi score (q = 1) of the rows: exp(entropy of the eigenvalues of GᵀG/N), G the unit rows."""
    from synthdiv.metrics.embedding import similarity_eigenvalues, vendi_from_eigenvalues

    lam = similarity_eigenvalues(vectors)
    return vendi_from_eigenvalues(lam, 1.0) if lam.size else None


def matched_g_vendi(vectors_per_set: Sequence[np.ndarray], size: int | None = None, *, draws: int | None = None,
                    seed: int | None = None, level: float | None = None) -> list[dict[str, Any]]:
    """Per set: G-Vendi at one common ``size`` (default half the smallest set, as the matched distinct-n):
    the mean over ``draws`` random subsets with the percentile interval of the draws."""
    from synthdiv.metrics.embedding import draw_vendi
    from synthdiv.metrics.matched import MATCHED, matched_size

    draws, seed, level = draws or MATCHED.draws, MATCHED.seed if seed is None else seed, level or MATCHED.level
    size = matched_size([len(v) for v in vectors_per_set]) if size is None else size
    out = []
    for vectors in vectors_per_set:
        scores = draw_vendi(vectors, size, draws, seed)
        low, high = np.quantile(scores, [(1 - level) / 2, (1 + level) / 2])
        out.append({"size": size, "vendi_score": float(scores.mean()), "ci_low": float(low), "ci_high": float(high),
                    "draws": draws, "level": level, "seed": seed})
    return out


def measure(panel) -> dict[str, Any]:
    """The registry's ``gradient``: the G-Vendi of the panel's records under its proxy."""
    settings = panel.gradient
    vectors = gradient_vectors(panel.records, settings)
    return {"gradient": {"vendi_score": g_vendi(vectors), "proxy": settings.proxy, "params": settings.params,
                         "dim": settings.dim, "seed": settings.seed, "records": len(vectors)}}
