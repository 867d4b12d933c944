"""Fig. 4: a 2-D map of sentence embeddings of the real set and each generated level.

As in the paper, each point is one record's measured text (story: context +
completion; QA: question + answer, the long context left out), at most
``map_points`` records per set sampled with a fixed seed. Embeddings come from
the metrics' disk cache (:func:`synthdiv.metrics.embed_cache.embed_texts`); with
no embedder configured a TF-IDF + truncated SVD embedding stands in, and the
caption says so. All sets are projected together (t-SNE, or UMAP when asked for
and installed), so their positions are comparable across panels.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import os
from collections.abc import Callable

import numpy as np

from synthdiv.errors import UserError
from synthdiv.reports.plotting import FigureResult, SkipFigure, figure_legend, level_color, new_figure, png_bytes, style
from synthdiv.reports.rundir import RunData
from synthdiv.reports.selection import measured_sets
from synthdiv.tasks import TASKS

EMBEDDING_MAP = ("Fig. 4", "Embedding map, real vs generated")
DEFAULT_POINTS = 1000  # the paper samples 1,000 points
LEXICAL_DIMS = 100
PCA_DIMS = 50  # t-SNE on 50 principal components: the usual speed-up, the map barely changes


def _section(spec, name):
    value = spec.get(name)
    return value if isinstance(value, dict) else {}


def resolve_embedder(run: RunData, embedder: str | None) -> str | None:
    """--embedder, else report.embedder, else metrics.embedder; None (or 'none' anywhere) means the lexical fallback."""
    from synthdiv.models.registry import embedder_or_none

    if embedder is not None:
        return embedder_or_none(embedder)
    for section in ("report", "metrics"):
        name = _section(run.spec, section).get("embedder")
        if name is not None:
            return embedder_or_none(name)
    return None


def resolve_points(run: RunData, map_points: int | None) -> int:
    points = map_points or _section(run.spec, "report").get("map_points") or DEFAULT_POINTS
    if int(points) < 1:
        raise UserError(f"map points must be at least 1, got {points}", where="--map-points")
    return int(points)


def sample_texts(texts: list[str], k: int, rng: np.random.Generator) -> list[str]:
    if len(texts) <= k:
        return list(texts)
    return [texts[i] for i in np.sort(rng.choice(len(texts), k, replace=False))]


def embed(texts: list[str], embedder: str | None, encoder: Callable | None) -> tuple[np.ndarray, str]:
    """(vectors, description). An injected encoder without a name is called directly, not cached,
    so two test encoders never share cache entries."""
    if encoder is not None and not embedder:
        return np.asarray(encoder(texts), dtype=np.float32), "sentence embeddings (injected encoder)"
    if embedder:
        from synthdiv.metrics.embed_cache import embed_texts

        return embed_texts(texts, embedder, encoder=encoder), f"sentence embeddings ({embedder})"
    return lexical_embedding(texts), (
        f"lexical embedding: TF-IDF of words and word pairs reduced to {LEXICAL_DIMS} dimensions by truncated SVD, "
        "because no embedder is configured (--embedder, report.embedder or metrics.embedder)"
    )


def lexical_embedding(texts: list[str]) -> np.ndarray:
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    tfidf = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True).fit_transform(texts)
    dims = min(LEXICAL_DIMS, tfidf.shape[1] - 1, tfidf.shape[0] - 1)
    if dims < 2:
        return tfidf.toarray().astype(np.float32)
    return TruncatedSVD(n_components=dims, random_state=0).fit_transform(tfidf).astype(np.float32)


def project_2d(vectors: np.ndarray, method: str, seed: int) -> tuple[np.ndarray, str]:
    """(n, 2) coordinates and the method actually used."""
    x = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)  # cosine geometry
    if method == "umap":
        try:
            import umap
        except ImportError:
            method = "t-SNE (UMAP was asked for but the umap-learn package is not installed)"
        else:
            return umap.UMAP(n_components=2, random_state=seed).fit_transform(x), "UMAP"
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    if x.shape[1] > PCA_DIMS and x.shape[0] > PCA_DIMS:
        x = PCA(n_components=PCA_DIMS, random_state=seed).fit_transform(x)
    perplexity = float(min(30.0, max(2.0, (x.shape[0] - 1) / 3)))
    tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", learning_rate="auto", random_state=seed)
    with _few_threads():
        coords = tsne.fit_transform(x)
    return coords, ("t-SNE" if method in ("tsne", "t-SNE") else method)


def _few_threads():
    """t-SNE's OpenMP threads spin-wait: on a busy 2-core machine all threads made 1,000 points take
    44 s instead of 4 s. Half the cores (at most 4) keeps the speed-up without the contention."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=max(1, min(4, (os.cpu_count() or 2) // 2)))


def embedding_map(run: RunData, embedder: str | None = None, encoder: Callable | None = None,
         map_points: int | None = None, log: Callable[[str], None] | None = None) -> FigureResult:
    from synthdiv.metrics.texts import load_texts

    sets = measured_sets(run.datasets) if run.datasets is not None else []
    if not any(s["role"] == "real" for s in sets) or not any(s["role"] == "generated" for s in sets):
        raise SkipFigure("datasets.csv needs a real row and a generated row with a record file (path)")
    if importlib.util.find_spec("sklearn") is None:
        raise SkipFigure("the map needs scikit-learn (t-SNE): pip install 'synthdiv[embed]'")
    points = resolve_points(run, map_points)
    seed = int((run.spec.get("seeds") or [0])[0])
    rng = np.random.default_rng(seed)
    names, texts, notes = [], [], []
    for s in sets:
        try:
            sample = sample_texts(load_texts(s["path"]).texts, points, rng)
        except UserError as exc:
            notes.append(f"{s['dataset']}: {exc}")
            continue
        names += [s["dataset"]] * len(sample)
        texts += sample
    if len(set(names)) < 2 or len(texts) < 5:
        raise SkipFigure(f"fewer than two record files could be read ({'; '.join(notes) or 'too few records'})")
    name = resolve_embedder(run, embedder)
    if log:
        log(f"embedding {len(texts)} texts for the map ({name or 'lexical'})")
    try:
        vectors, how = embed(texts, name, encoder)
    except UserError as exc:
        raise SkipFigure(f"cannot embed the texts with {name!r}: {exc}") from None
    method = str(_section(run.spec, "report").get("map_method") or "tsne")
    if log:
        log(f"projecting {len(texts)} points to 2-D ({method})")
    coords, method_used = project_2d(vectors, method, seed)
    png = _draw(run, sets, names, coords)
    counts = {s["dataset"]: names.count(s["dataset"]) for s in sets if s["dataset"] in names}
    caption = (
        f"Where the real set's records and each level's lie relative to each other: a {method_used} map of {how}, one point "
        f"per record ({TASKS[run.task].measured_words if run.task in TASKS else 'the measured text'}), at most {points} per set sampled with seed {seed} "
        f"({', '.join(f'{k}: {v}' for k, v in counts.items())}). All sets were projected together and every panel has the "
        "same axes, so a region is the same region in each; the real set is grey. Coordinates are in fig4_embedding_map.csv."
        + (f" Left out: {'; '.join(notes)}." if notes else "")
    )
    return FigureResult("fig4_embedding_map", *EMBEDDING_MAP, caption, png, files={"fig4_embedding_map.csv": _csv(names, coords)})


def _draw(run: RunData, sets: list[dict], names: list[str], coords: np.ndarray) -> bytes:
    """All sets on one panel, then real beside each level alone; every panel on the same axes,
    one legend under them all, so no legend covers a point."""
    labels = np.array(names)
    real = [s for s in sets if s["role"] == "real" and s["dataset"] in names]
    gens = [s for s in sets if s["role"] == "generated" and s["dataset"] in names]
    panels = [("all sets together", gens)] * (len(gens) > 1) + [(f"real vs {g['dataset']}", [g]) for g in gens]
    pad = 0.04 * (coords.max(axis=0) - coords.min(axis=0))
    lo, hi = coords.min(axis=0) - pad, coords.max(axis=0) + pad
    size = float(min(18, max(4, 4000 / len(names))))  # dots a few pixels wide at 8,000 points, bigger when few
    handles = {}
    with style():
        panel = (3.6, 3.4) if len(panels) > 1 else (5.2, 4.8)  # square panels, two a row: still legible at phone width
        fig, axes = new_figure(len(panels), ncols=min(len(panels), 2), panel=panel, min_width=0, sharex=True, sharey=True)
        for ax, (title, shown) in zip(axes, panels):
            for s, color, alpha in [(r, "#9a9a9a", 0.45) for r in real] + [(g, level_color(g["level"]), 0.6) for g in shown]:
                pts = coords[labels == s["dataset"]]
                dots = ax.scatter(pts[:, 0], pts[:, 1], s=size, color=color, alpha=alpha, linewidths=0, label=f"{s['dataset']} ({len(pts)})")
                handles.setdefault(s["dataset"], dots)
            ax.set_xlim(lo[0], hi[0])
            ax.set_ylim(lo[1], hi[1])
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            ax.spines[:].set_visible(True)  # a closed frame: the panels read as one shared coordinate system
            ax.set_title(title)
        legend = [handles[s["dataset"]] for s in real + gens]
        figure_legend(fig, legend, [h.get_label() for h in legend])
        for entry in fig.legends[0].legend_handles:
            entry.set_sizes([30.0])
        fig.suptitle(f"{EMBEDDING_MAP[0]} — {EMBEDDING_MAP[1]} ({run.task})", fontsize=11)
        return png_bytes(fig)


def _csv(names: list[str], coords: np.ndarray) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["dataset", "x", "y"])
    writer.writerows([n, f"{x:.5g}", f"{y:.5g}"] for n, (x, y) in zip(names, coords))
    return buf.getvalue().encode("utf-8")
