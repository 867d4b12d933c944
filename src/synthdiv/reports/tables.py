"""Table 2 (distribution distance between real and each generated level) and the diversity table.

Both come from datasets.csv (results.csv when the run has none: its rows carry the
same metrics of their training sets), one row per dataset, averaged over seeds.
Columns the run did not compute (no embedder: no embedding metrics) are left out.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

from synthdiv.reports.rundir import RunData, level_key, mean_sd

# column -> (header, what it is); the order is the table's
DIVERSITY_COLUMNS = {
    "div_distinct_1": ("distinct-1", "unique / total unigrams of the concatenated set (Eq. 4)"),
    "div_distinct_2": ("distinct-2", "unique / total bigrams"),
    "div_distinct_3": ("distinct-3", "unique / total trigrams"),
    "div_distinct_4": ("distinct-4", "unique / total 4-grams"),
    "div_distinct_5": ("distinct-5", "unique / total 5-grams"),
    "div_ngram_diversity_score": ("sum d1–5", "distinct-1 + … + distinct-5: the paper's 'Distinct-5' values (higher = more diverse)"),
    "div_norm": ("normalised", "sum d1–5 divided by the largest in its comparison group"),
    "div_compression_ratio": ("compression", "raw size / compressed size (lower = more diverse)"),
    "div_self_bleu": ("self-BLEU", "mean BLEU-4 of each text against the others (lower = more diverse)"),
    "div_embedding_mean_pairwise_cosine_distance": ("cos. dist.", "mean pairwise cosine distance of embeddings (higher = more diverse)"),
    "div_embedding_vendi_score": ("Vendi", "Vendi score: effective number of distinct samples (higher = more diverse)"),
    "div_embedding_centroid_radius": ("radius", "mean distance of embeddings to their centroid"),
    "div_embedding_kmeans_inertia": ("k-means inertia", "k-means inertia of the embeddings"),
}
SHIFT_COLUMNS = {
    "shift_embedding_frechet_distance": ("Fréchet", "Fréchet distance of embedding Gaussians (lower = closer to real)"),
    "shift_embedding_mmd2": ("MMD²", "unbiased squared MMD, RBF kernel (lower = closer)"),
    "shift_embedding_mmd2_p_value": ("MMD p", "permutation p-value of MMD² (small = distributions differ)"),
    "shift_embedding_precision": ("precision", "share of generated samples inside the real manifold (k-NN)"),
    "shift_embedding_recall": ("recall", "share of real samples inside the generated manifold"),
    "shift_embedding_density": ("density", "PRDC density"),
    "shift_embedding_coverage": ("coverage", "PRDC coverage"),
    "shift_embedding_mauve": ("MAUVE", "MAUVE (higher = closer to real)"),
    "shift_embedding_mauve_sd": ("MAUVE sd", "sd of MAUVE over its k-means seeds"),
    "shift_embedding_classifier_auc": ("clf. AUC", "AUC of a classifier telling real from generated (0.5 = indistinguishable)"),
    "shift_ngram_js_1": ("JS 1-gram", "Jensen–Shannon divergence of unigram distributions, bits"),
    "shift_ngram_js_2": ("JS 2-gram", "JS divergence of bigram distributions, bits"),
    "shift_ngram_js_3": ("JS 3-gram", "JS divergence of trigram distributions, bits"),
    "shift_lengths_text_ks": ("KS len", "Kolmogorov–Smirnov statistic of text lengths"),
    "shift_lengths_text_wasserstein": ("W1 len", "Wasserstein-1 distance of text lengths, tokens"),
    "shift_lengths_target_ks": ("KS target len", "KS statistic of target (completion / answer) lengths"),
    "shift_lengths_target_wasserstein": ("W1 target len", "Wasserstein-1 of target lengths, tokens"),
    "shift_lengths_question_ks": ("KS question len", "KS statistic of question lengths (QA)"),
    "shift_lengths_question_wasserstein": ("W1 question len", "Wasserstein-1 of question lengths, tokens (QA)"),
    "shift_lengths_context_ks": ("KS context len", "KS statistic of context lengths"),
    "shift_lengths_context_wasserstein": ("W1 context len", "Wasserstein-1 of context lengths, tokens"),
}
# parts of flattened metric names that are details, not a distance to show
DETAIL_PARTS = ("_ci95", "_bootstrap", "_samples", "_dimensions", "_seed", "timings", "_real_", "_generated_", "_quantiles")
ROLE_ORDER = {"real": 0, "generated": 1, "mix": 2}
SHIFT_TABLE = ("Table 2", "Distribution distance between real and generated data")
DIVERSITY_TABLE = ("Diversity", "distinct-n, compression, self-BLEU and embedding diversity of each dataset")


@dataclass
class Table:
    key: str  # file stem of the CSV
    number: str  # "Table 2"
    title: str
    note: str
    columns: list[tuple[str, str, str]]  # (column, header, description)
    rows: list[dict]  # dataset, role, seeds, and per column its mean and "<column>_sd"

    @property
    def filename(self) -> str:
        return f"{self.key}.csv"

    def to_csv(self) -> bytes:
        with_sd = [c for c, _, _ in self.columns if any(not math.isnan(r.get(f"{c}_sd", math.nan)) for r in self.rows)]
        head = ["dataset", "role", "level", "mode", "ratio", "size", "seeds"]
        names = head + [name for c, _, _ in self.columns for name in ((c, f"{c}_sd") if c in with_sd else (c,))]
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(names)
        for r in self.rows:
            writer.writerow(["" if _is_nan(r.get(n)) else r.get(n) for n in names])
        return buf.getvalue().encode("utf-8")


def _is_nan(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def fmt(value) -> str:
    """A metric for a table cell: 4 significant digits, thousands as integers, missing as a dash."""
    if _is_nan(value):
        return "—"
    v = float(value)
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) < 0.001:
        return f"{v:.1e}"
    return f"{v:.4g}"


def _columns(frame, known: dict, extra_prefix: str) -> list[tuple[str, str, str]]:
    """The known columns the frame has values for, then other number columns under ``extra_prefix``
    (a metric added later shows up without a code change; counts and details do not)."""
    present = [(c, *known[c]) for c in known if c in frame.columns and frame[c].notna().any()]
    extra = [c for c in frame.columns if c.startswith(extra_prefix) and c not in known and not any(p in c for p in DETAIL_PARTS)
             and frame[c].dtype.kind in "fi" and frame[c].notna().any()]
    short = extra_prefix.split("_")[0] + "_"
    return present + [(c, c[len(short):].replace("_", " "), c) for c in extra]


def measured_rows(run: RunData):
    """One row per (dataset, seed) with metrics: datasets.csv, else the training sets of results.csv."""
    if run.datasets is not None and not run.datasets.empty:
        frame = run.datasets
    else:
        frame = run.results[run.results["role"] != "base"].drop_duplicates(["dataset", "seed", "size"])
    # the runner measures a level both as generated and as a ratio-1 mix under one name: keep the unmixed one
    unmixed = set(frame.loc[frame["mode"] == "", "dataset"])
    return frame[(frame["mode"] == "") | ~frame["dataset"].isin(unmixed)]


def _aggregate(frame, columns: list[tuple[str, str, str]]) -> list[dict]:
    rows = []
    for name, group in frame.groupby("dataset", sort=False):
        first = group.iloc[0]
        row = {"dataset": name, "role": first["role"], "level": first["level"], "mode": first["mode"],
               "ratio": mean_sd(group["ratio"])[0], "size": first["size"], "seeds": int(group["seed"].nunique())}
        for col, _, _ in columns:
            row[col], row[f"{col}_sd"], _ = mean_sd(group[col])
        floor = _p_floor_text(group)
        if floor:  # at the permutation floor the p-value is a bound, not a number
            row["shift_embedding_mmd2_p_value_display"] = floor
        rows.append(row)
    rows.sort(key=lambda r: (ROLE_ORDER.get(r["role"], 3), r["mode"], level_key(r["level"]),
                             0 if _is_nan(r["ratio"]) else r["ratio"], 0 if _is_nan(r["size"]) else r["size"], r["dataset"]))
    return rows


def _p_floor_text(group) -> str | None:
    """"≤ 1/(B+1)" when every seed's MMD p-value sat at its permutation floor (metrics/shift.py)."""
    flag, text = "shift_embedding_mmd_p_at_floor", "shift_embedding_mmd2_p_value_text"
    if flag not in group.columns or text not in group.columns:
        return None
    at_floor = group[flag].map(lambda v: str(v).strip().lower() in ("true", "1", "1.0"))
    texts = set(group[text].astype(str))
    return texts.pop() if at_floor.all() and len(texts) == 1 else None


def diversity_table(run: RunData) -> Table | None:
    frame = measured_rows(run)
    columns = _columns(frame, DIVERSITY_COLUMNS, "div_embedding_")  # other div_ columns are n-gram counts
    if frame.empty or not columns:
        return None
    note = ("Diversity of every measured dataset (mean over seeds; ± sd where there are several). Distinct-n is over the "
            "whole set concatenated (stories) or summed over long contexts (QA, Eq. 5); 'sum d1–5' is the value the paper "
            "reports as Distinct-5.")
    return Table("table_diversity", *DIVERSITY_TABLE, note, columns, _aggregate(frame, columns))


def shift_table(run: RunData) -> Table | None:
    frame = measured_rows(run)
    gen = frame[frame["role"] == "generated"]
    if gen.empty:  # a run whose only pure levels are fixed-mode mixes at ratio 1
        gen = frame[(frame["role"] == "mix") & (frame["mode"] == "fixed") & (frame["ratio"].round(2) == 1.0)]
    columns = _columns(gen, SHIFT_COLUMNS, "shift_")
    if gen.empty or not columns:
        return None
    note = ("Distance between the real training set and each generated level, compared at equal size (the paper's "
            "'distribution distance' is not specified, so the whole panel is shown). Embedding columns need an embedder.")
    return Table("table2_shift", *SHIFT_TABLE, note, columns, _aggregate(gen, columns))
