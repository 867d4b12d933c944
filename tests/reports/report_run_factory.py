"""A synthetic run directory shaped like the experiment runner's: spec.yaml, datasets.csv,
results.csv, record files and train logs. Metric values are made up but follow the paper's
shape (diversity rises with the level, generated data loses to real data), so the tests can
check that each number lands where it should. The tables have the runner's columns
(synthdiv.experiments.layout): a column the runner does not write is refused, and one the
factory has no value for is written empty."""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

import numpy as np
import yaml

from synthdiv.data.records_io import write_records
from synthdiv.experiments import layout
from synthdiv.records import Provenance, Record
from synthdiv.training.runlog import COLUMNS as LOG_COLUMNS

NAMES = "Tom Amy Sam Lia Ben Zoe Max Eva Leo Mia Kai Ada Ivo Noa Eli Uma".split()
PLACES = "store park lake farm school beach garden library kitchen station market forest bridge museum harbor castle".split()
THINGS = "milk keys ball cake book kite hat map coin lamp boat shell drum rope jar bell".split()
VERBS = "found lost bought painted fixed hid carried cleaned opened wrapped sold traded".split()
MODEL_OFFSET = {"gpt2": 0.6, "llama-3.2-1b": 0.0, "opt-1.3b": 0.3}
DIV_WEIGHTS = (0.28, 0.22, 0.18, 0.17, 0.15)  # share of the n-gram score per order, so distinct-k = score * w_k


def level_index(level: str) -> int:
    return int(level[1:])


def _story(rng: random.Random, vocab: int, long_target: bool) -> tuple[str, str]:
    """A five-sentence story drawn from a vocabulary of ``vocab`` words per slot: small vocab, low diversity."""
    n, p, t, v = (NAMES[: max(1, vocab)], PLACES[: max(1, vocab)], THINGS[: max(1, vocab)], VERBS[: max(1, min(vocab, len(VERBS)))])
    who = rng.choice(n)
    sents = [f"{who} went to the {rng.choice(p)}.", f"{who} {rng.choice(v)} a {rng.choice(t)} there.",
             f"It was near the {rng.choice(p)}.", f"{who} wanted the {rng.choice(t)} too."]
    target = f"In the end {who} {rng.choice(v)} the {rng.choice(t)}."
    extra = rng.randint(1, 4) if long_target else rng.randint(0, 1)  # generated completions run longer, as in the paper
    for _ in range(extra):
        target = target[:-1] + f" and then went to the {rng.choice(p)}."
    return " ".join(sents), target


def make_records(task: str, source: str, n: int, vocab: int, seed: int, level: str | None = None) -> list[Record]:
    rng = random.Random(seed * 1000 + vocab)
    out = []
    for i in range(n):
        context, target = _story(rng, vocab, long_target=source == "generated")
        prov = Provenance(strategy="topic", level=level, model="smollm2-135m-instruct") if level else Provenance()
        if task == "story_completion":
            out.append(Record(id=f"{source}-{level}-{seed}-{i}", task=task, context=context, target=target, source=source, provenance=prov))
        else:
            doc = i % 5
            out.append(Record(id=f"{source}-{level}-{seed}-{i}", task=task, context=f"Long document {doc}. " + context * 3,
                              question=f"What did {rng.choice(NAMES[:vocab])} do at the {rng.choice(PLACES[:vocab])}?",
                              target=target, source=source, group=f"doc{doc}", provenance=prov))
    return out


def _diversity(score: float, embedding: bool) -> dict:
    out = {f"div_distinct_{k + 1}": score * w for k, w in enumerate(DIV_WEIGHTS)}
    out.update(div_ngram_diversity_score=score, div_compression_ratio=5.0 - score, div_self_bleu=0.9 - score / 5)
    if embedding:
        out.update(div_embedding_mean_pairwise_cosine_distance=score / 4, div_embedding_vendi_score=10 * score,
                   div_embedding_centroid_radius=score / 3, div_embedding_kmeans_inertia=1234.5 * score)
    return out


def _shift(k: int, ratio: float, embedding: bool) -> dict:
    out = {"shift_ngram_js_1": 0.05 * ratio * (7 - k) / 7, "shift_ngram_js_2": 0.1 * ratio, "shift_ngram_js_3": 0.2 * ratio,
           "shift_lengths_text_ks": 0.4 * ratio, "shift_lengths_text_wasserstein": 5.0 * ratio,
           "shift_lengths_target_ks": 0.5 * ratio, "shift_lengths_text_ks_ci95": "[0.1, 0.2]"}
    if embedding:
        out.update(shift_embedding_frechet_distance=(0.8 - 0.05 * k) * ratio, shift_embedding_mmd2=0.01 * ratio,
                   shift_embedding_mmd2_p_value=0.005, shift_embedding_precision=0.5 + 0.05 * k,
                   shift_embedding_recall=0.2 + 0.1 * k, shift_embedding_density=0.7, shift_embedding_coverage=0.3 + 0.05 * k,
                   shift_embedding_mauve=0.9 - 0.1 * ratio, shift_embedding_mauve_sd=0.01,
                   shift_embedding_classifier_auc=0.5 + 0.4 * ratio)
    return out


def table_header(table: str, rows: list[dict]) -> list[str]:
    """The columns of ``rows``, then the table's named columns they lack; a column the runner does not write is an error."""
    columns = layout.TABLES[table]
    header = list(dict.fromkeys(c for r in rows for c in r))
    undefined = columns.undefined(header)
    if undefined:
        raise ValueError(f"the factory's {table} has columns the runner does not write: {undefined}")
    return header + columns.missing(header)


def _write_table(root: Path, table: str, rows: list[dict]) -> None:
    columns = table_header(table, rows)
    with open(root / layout.csv_name(table), "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({c: ("" if isinstance(r.get(c), float) and math.isnan(r[c]) else r.get(c, "")) for c in columns})


def _write_train_log(folder: Path, final: float, steps: int, epochs: int, seed: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    with open(folder / "train_log.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(LOG_COLUMNS)
        for s in range(1, steps + 1):
            epoch = (s - 1) * epochs // steps
            loss = final + 2.5 * math.exp(-4 * s / steps) - 0.15 * epoch + 0.05 * rng.standard_normal()
            values = {"step": s, "epoch": epoch, "loss": loss, "lr": 1e-4, "target_tokens": 100, "tokens": 400,
                      "tokens_per_s": 800.0, "elapsed_s": s * 0.5}
            writer.writerow([values[c] for c in LOG_COLUMNS])


def build_run_dir(
    root: Path,
    *,
    task: str = "story_completion",
    levels: tuple[str, ...] = ("D0", "D3", "D6"),
    seeds: tuple[int, ...] = (0, 1),
    models: tuple[str, ...] = ("gpt2", "llama-3.2-1b"),
    n: int = 40,
    mode: str = "fixed",
    ratios: tuple[float, ...] = (0.0, 1.0),
    sources: tuple[str, ...] | None = None,
    sizes: tuple[int | None, ...] = (None,),
    embedding: bool = True,
    train_logs: bool = True,
    log_steps: int = 30,
    epochs: int = 3,
    short: dict[str, int] | None = None,
    plane: bool = False,
) -> Path:
    """Write a run directory into ``root`` and return it (the layout of docs/reports.md).
    ``short`` maps a level to the records its generation produced when that fell short of ``n``;
    ``plane`` adds the size-matched diversity columns and plane.json, as the runner writes them."""
    short = short or {}
    root.mkdir(parents=True, exist_ok=True)
    sources = tuple(sources or levels)
    spec = {
        "name": f"synthetic-{task}", "description": "A synthetic run for the report tests.", "task": task, "seeds": list(seeds),
        "generation": {"strategy": "topic" if task == "story_completion" else "paraphrase", "backend": "transformers",
                       "model": "smollm2-135m-instruct", "levels": list(levels), "n": n},
        "training": {"models": list(models), "epochs": epochs, "lr": 1e-4, "lora_r": 8},
        "mixing": {"mode": mode, "sources": list(sources), "ratios": list(ratios), "sizes": list(sizes)},
        "metrics": {"embedder": "minilm-l6" if embedding else None},
        "report": {"embedder": None, "map_points": 1000, "map_method": "tsne"},
    }
    (root / layout.SPEC).write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    data = root / "data"
    data.mkdir(exist_ok=True)
    real_path = data / "real-train.jsonl"
    write_records(make_records(task, "real", n, vocab=8, seed=99), real_path)
    real_score = 2.6
    gen_score = {lv: 2.0 + 0.15 * level_index(lv) for lv in levels}
    top = max([real_score, *gen_score.values()])
    datasets = [{"dataset": "real", "role": "real", "level": "", "seed": 0, "mode": "", "ratio": math.nan, "size": n,
                 "n_real": n, "n_generated": 0, "records": n, "path": str(real_path.resolve()),
                 **_diversity(real_score, embedding), "div_norm": real_score / top}]
    gen_paths = {}
    for seed in seeds:
        for lv in levels:
            k = level_index(lv)
            path = data / f"gen-{lv}-seed{seed}.jsonl"
            write_records(make_records(task, "generated", short.get(lv, n), vocab=2 + 2 * k, seed=seed, level=lv), path)
            gen_paths[lv, seed] = path
            datasets.append({"dataset": layout.level_label(lv), "role": "generated", "level": lv, "seed": seed, "mode": "", "ratio": math.nan,
                             "size": n, "n_real": 0, "n_generated": n, "records": n, "path": str(path.resolve()),
                             **_diversity(gen_score[lv] + 0.01 * seed, embedding), "div_norm": gen_score[lv] / top,
                             **_shift(k, 1.0, embedding)})
    results = []
    for seed in seeds:
        for model in models:
            results.append({"experiment": spec["name"], "seed": seed, "model": model, "dataset": "base", "role": "base",
                            "level": "", "mode": "", "ratio": math.nan, "size": math.nan, "n_real": math.nan,
                            "n_generated": math.nan, "test_loss": 4.2 + MODEL_OFFSET.get(model, 0) + 0.01 * seed,
                            "base_test_loss": 4.2 + MODEL_OFFSET.get(model, 0), "train_dir": ""})
        for size in sizes:
            for ratio in ratios:
                for lv in (sources if ratio > 0 else [None]):
                    role = "real" if ratio == 0 else ("generated" if ratio == 1 and mode == "fixed" else "mix")
                    label = layout.mix_label(mode, ratio, lv, size if len(sizes) > 1 else None)
                    total = size or n
                    if mode == "variable":
                        n_real, n_gen = total, round(total * ratio / (1 - ratio))
                    else:
                        n_gen = min(round(total * ratio), short.get(lv, n))
                        n_real = min(total - round(total * ratio), n)
                    achieved = n_gen / (n_gen + n_real)
                    k = level_index(lv) if lv else 0
                    score = (1 - ratio) * real_score + ratio * (gen_score[lv] if lv else real_score) + 0.3 * ratio * (1 - ratio)
                    div = {**_diversity(score + 0.01 * seed, embedding), "div_norm": score / top}
                    shift = _shift(k, ratio, embedding) if lv else {}
                    row_info = {"dataset": label, "role": role, "level": lv or "", "mode": mode, "ratio": achieved,
                                "size": n_real + n_gen, "n_real": n_real, "n_generated": n_gen, "size_asked": size}
                    path = gen_paths.get((lv, seed), real_path)
                    datasets.append({**row_info, "seed": seed, "records": n_real + n_gen, "path": str(path.resolve()), **div, **shift})
                    for model in models:
                        gen_loss = 3.6 - 0.06 * k + (0.002 * (n_real + n_gen) if size else 0)
                        loss = 3.0 + ratio * (gen_loss - 3.0) + MODEL_OFFSET.get(model, 0) + 0.02 * seed
                        train_dir = root / "train" / model / label.replace(" ", "_").replace("%", "pct") / f"seed{seed}"
                        if train_logs:
                            _write_train_log(train_dir, loss - 0.5, log_steps, epochs, seed)
                        mean = loss - 0.02 * seed + 0.02 * sum(seeds) / len(seeds)  # the group's mean over seeds
                        intervals = {**dict(zip(layout.interval("test_loss"), (loss - 0.03, loss + 0.03))),
                                     **dict(zip(layout.mean_interval("test_loss"), (mean - 0.04, mean + 0.04)))}
                        results.append({"experiment": spec["name"], "seed": seed, "model": model, **row_info, "test_loss": loss, **intervals,
                                        "base_test_loss": 4.2 + MODEL_OFFSET.get(model, 0), "train_first_loss": loss + 2,
                                        "train_final_loss": loss - 0.5, "steps": log_steps, "train_dir": str(train_dir.resolve()),
                                        **div, **shift})
    if plane:
        _write_plane(root, results)
    _write_table(root, layout.DATASETS, datasets)
    _write_table(root, layout.RESULTS, results)
    _write_findings(root, results, datasets)
    return root


def _write_plane(root: Path, results: list[dict], records: int = 64) -> None:
    """plane.json from the runner's own code, on per-record losses made up around each row's test loss
    (centred noise, so each set's loss is its row's); the real set's shift from itself is 0."""
    import json

    from synthdiv.stats.evidence import PerRecord
    from synthdiv.stats.plane import plane

    rng = np.random.default_rng(0)
    ids, tokens = tuple(f"t{i}" for i in range(records)), np.full(records, 27.0)
    losses = []
    for r in results:
        if r["role"] == "base":
            losses.append(None)
            continue
        score = r[layout.DIVERSITY_SCORE]
        r.update({layout.MATCHED_SCORE: score - 0.1, layout.matched("ci_low"): score - 0.15, layout.matched("ci_high"): score - 0.05})
        if r["role"] == "real":
            r.update(shift_embedding_frechet_distance=0.0, shift_ngram_js_2=0.0)
        noise = rng.normal(0, 0.5, records)
        losses.append(PerRecord(ids, tokens * (r["test_loss"] + noise - noise.mean()), tokens))
    (root / layout.PLANE).write_text(json.dumps(plane(results, losses, resamples=300), default=str), encoding="utf-8")


def _write_findings(root: Path, results: list[dict], datasets: list[dict]) -> None:
    """findings.json as the runner writes it, judged by the runner's own code on seed means with
    hand-set intervals (±0.03 around each difference from real alone at the same model and size)."""
    import json

    from synthdiv.stats.assess import Evidence
    from synthdiv.stats.findings import judge, resolution

    groups: dict[tuple, list[dict]] = {}
    for r in results:
        groups.setdefault((r["model"], r["dataset"], r.get("size_asked")), []).append(r)
    agg = []
    for (model, _, size), rows in groups.items():
        first = rows[0]
        row = {k: first.get(k) for k in ("model", "dataset", "role", "level", "mode", "ratio")} | {"size_asked": size, "seeds": len(rows)}
        row["test_loss"] = sum(r["test_loss"] for r in rows) / len(rows)
        agg.append(row)
    real = {(a["model"], a["size_asked"]): a["test_loss"] for a in agg if a["role"] == "real"}
    for a in agg:
        ref = real.get((a["model"], a["size_asked"]))
        if a["role"] in ("generated", "mix") and ref is not None:
            d = a["test_loss"] - ref
            a.update(zip(layout.with_interval(layout.delta("real")), (d, d - 0.03, d + 0.03)))
    _write_table(root, layout.AGGREGATE, agg)  # the seed-paired differences Fig. Δ draws
    trends = _level_trends(agg)
    evidence = Evidence(agg, trends, judge(agg, trends, datasets), resolution(agg), 64, 1735)
    (root / layout.FINDINGS).write_text(json.dumps(evidence.to_dict(), indent=2), encoding="utf-8")
    if trends:
        _write_table(root, layout.TRENDS, trends)


def _level_trends(agg: list[dict]) -> list[dict]:
    """The runner's loss-vs-level trend per model, its draws the seed means plus noise of sd 0.01."""
    from synthdiv.stats.sweep_trends import LOSS_VS_LEVEL, _trend_row

    out = []
    for model in sorted({a["model"] for a in agg}):
        gen = sorted((a for a in agg if a["model"] == model and a["role"] == "generated"), key=lambda a: level_index(a["level"]))
        if len(gen) < 2 or any(a.get("size_asked") is not None for a in gen):
            continue
        est = [a["test_loss"] for a in gen]
        draws = np.array(est) + np.random.default_rng(0).normal(0, 0.01, size=(500, len(est)))
        out.append(_trend_row(LOSS_VS_LEVEL, model, None, "", [level_index(a["level"]) for a in gen],
                              [a["level"] for a in gen], est, draws, gen[0]["seeds"]))
    return out


def hashed_encoder(texts: list[str]) -> np.ndarray:
    """A model-free sentence encoder: a bag of words hashed into 32 dimensions."""
    out = np.zeros((len(texts), 32), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in text.lower().split():
            out[i, sum(map(ord, word)) % 32] += 1.0
    return out + 1e-3
