"""Diversity and distribution-shift metrics (see docs/metrics.md).

The public names below are imported on first use, so ``import synthdiv.metrics``
costs nothing; scikit-learn, scipy and sentence-transformers load only inside
the functions that need them.

    from synthdiv.metrics import distinct_n, diversity_report, shift_report
    distinct_n(texts, n=5, mode="corpus", tokenizer="regex").distinct["5"]

No public name is also a submodule's (the modules are ``self_bleu_score``, ``mauve_score`` …), so
importing a submodule never replaces a function of the package with a module.
"""

from __future__ import annotations

from synthdiv.lazy import lazy_exports

_EXPORTS = {
    "distinct_n": "synthdiv.metrics.distinct",
    "DistinctResult": "synthdiv.metrics.distinct",
    "normalise_within_group": "synthdiv.metrics.distinct",
    "self_bleu": "synthdiv.metrics.self_bleu_score",
    "SelfBleuResult": "synthdiv.metrics.self_bleu_score",
    "compression_ratio": "synthdiv.metrics.compression",
    "CompressionResult": "synthdiv.metrics.compression",
    "tokenize": "synthdiv.metrics.ngrams.tokenize",
    "TokenIds": "synthdiv.metrics.ngrams.tokenize",
    "load_texts": "synthdiv.metrics.texts",
    "TextSet": "synthdiv.metrics.texts",
    "embed_texts": "synthdiv.metrics.embed_cache",
    "embedding_diversity": "synthdiv.metrics.embedding",
    "mean_pairwise_cosine_distance": "synthdiv.metrics.embedding",
    "vendi_score": "synthdiv.metrics.embedding",
    "diversity_report": "synthdiv.metrics.panel",
    "shift_report": "synthdiv.metrics.shift",
    "frechet_distance": "synthdiv.metrics.shift_embedding",
    "mmd2_unbiased": "synthdiv.metrics.shift_embedding",
    "prdc": "synthdiv.metrics.shift_embedding",
    "classifier_auc": "synthdiv.metrics.shift_embedding",
    "mauve": "synthdiv.metrics.mauve_score",
    "ngram_js": "synthdiv.metrics.shift_lexical",
    "length_shift": "synthdiv.metrics.shift_lexical",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
