"""On real data with the offline MiniLM: a pool of 200 Story Cloze stories and 400 passages of
NarrativeQA summaries (off-distribution for a story task); real = 250 other Story Cloze stories
to match, and 250 more held out to measure with (a subset matched to a sample can fit that
sample's noise, so the honest test of "less shifted" is against real data it never saw).
matched must be less shifted than random (Fréchet, classifier AUC), diverse more diverse (Vendi)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from synthdiv.records import Provenance, Record

pytestmark = pytest.mark.integration

N = 150


def summary_passages(narrativeqa_dir, limit: int) -> list[Record]:
    """Windows of five consecutive sentences of the NarrativeQA summaries, as story records."""
    from synthdiv.data.narrativeqa import load_narrativeqa

    summaries = {r.group: r.context for r in load_narrativeqa(narrativeqa_dir)}
    out = []
    for doc, text in sorted(summaries.items()):
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
        for start in range(0, len(sentences) - 4, 5):
            window = sentences[start : start + 5]
            out.append(Record(id=f"nqa-{doc}-{start}", task="story_completion", context=" ".join(window[:4]),
                              target=window[4], source="generated", provenance=Provenance(dataset="narrativeqa")))  # fmt: skip
    return out[:limit]


@pytest.fixture(scope="module")
def selected(story_cloze_csv, narrativeqa_dir):
    pytest.importorskip("sentence_transformers")
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    from synthdiv.data.loaders import load_story_cloze
    from synthdiv.metrics.embed_cache import embed_texts
    from synthdiv.selection.api import select_records
    from synthdiv.tasks import measured_text

    stories = load_story_cloze(story_cloze_csv)
    order = np.random.default_rng(0).permutation(len(stories))
    real, held_out = [stories[i] for i in order[:250]], [stories[i] for i in order[250:500]]
    pool = [stories[i] for i in order[500:700]] + summary_passages(narrativeqa_dir, 400)
    picks = {s: select_records(pool, N, s, real=real).records for s in ("random", "matched", "diverse")}

    def embed(records):
        return embed_texts([measured_text(r) for r in records], "minilm-l6")

    return {"matched to": embed(real), "held out": embed(held_out)}, {s: (embed(recs), recs) for s, recs in picks.items()}


def test_matched_is_less_shifted_than_random(selected):
    from synthdiv.metrics.shift_embedding import classifier_auc, frechet_distance

    reals, picks = selected
    stories = {s: sum(r.provenance.dataset == "story_cloze" for r in picks[s][1]) for s in ("random", "matched")}
    print(f"\nStory Cloze records of {N}: {stories}")
    assert stories["matched"] > 1.5 * stories["random"]  # random: about one third
    for name, real in reals.items():
        fd = {s: frechet_distance(real, picks[s][0]) for s in ("random", "matched")}
        auc = {s: classifier_auc(real, picks[s][0])["classifier_auc"] for s in ("random", "matched")}
        print(f"real {name}: Fréchet {fd}, classifier AUC {auc}")
        assert fd["matched"] < 0.85 * fd["random"], name
        assert abs(auc["matched"] - 0.5) < abs(auc["random"] - 0.5) - 0.1, name


def test_diverse_is_more_diverse_than_random(selected):
    from synthdiv.metrics.embedding import vendi_score

    _, picks = selected
    vendi = {s: vendi_score(picks[s][0]) for s in ("random", "diverse")}
    print(f"\nVendi {vendi}")
    assert vendi["diverse"] > 1.05 * vendi["random"]
