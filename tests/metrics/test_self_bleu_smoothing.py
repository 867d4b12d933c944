"""Self-BLEU smoothing as nltk names it: method1 is Texygen's and fast-bleu's, method2 Lin and Och's."""

from __future__ import annotations

import inspect
import json
import math
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthdiv.cli.main import main
from synthdiv.cli.metrics import diversity_cmd
from synthdiv.metrics.choices import DEFAULT_COMPRESSION, DEFAULT_SMOOTHING, SMOOTHINGS
from synthdiv.metrics.panel import diversity_report
from synthdiv.metrics.self_bleu_score import self_bleu  # the function (the package attribute becomes the submodule)
from synthdiv.metrics.self_bleu_score import self_bleu_scores
from synthdiv.metrics.ngrams.tokenize import tokenize

nltk_bleu = pytest.importorskip("nltk.translate.bleu_score")

TEXTS = [
    "the cat sat on the mat",
    "a dog sat on the log",
    "the cat sat on the log today",
    "birds fly",
    "the mat is red and the cat is not",
    "a",
]


def _nltk(texts, method):
    toks = [t.split() for t in texts]
    fn = getattr(nltk_bleu.SmoothingFunction(), "method0" if method == "none" else method)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nltk warns about zero n-gram overlaps
        return [
            nltk_bleu.sentence_bleu([toks[j] for j in range(len(toks)) if j != i], toks[i], smoothing_function=fn)
            for i in range(len(toks))
        ]


@pytest.mark.parametrize("method", SMOOTHINGS)
def test_fixed_set_equals_nltk(method):
    ours = self_bleu_scores(tokenize(TEXTS, "whitespace"), 4, method)
    theirs = _nltk(TEXTS, method)
    assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300) for a, b in zip(ours, theirs)), (list(ours), theirs)


sets = st.lists(st.lists(st.sampled_from("abcd"), max_size=9).map(" ".join), min_size=2, max_size=7)


@settings(max_examples=60, deadline=None)
@given(sets)
def test_method2_matches_nltk_on_random_sets(texts):
    for a, b in zip(self_bleu_scores(tokenize(texts, "whitespace"), 4, "method2"), _nltk(texts, "method2")):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)


# fast-bleu 0.0.90's SelfBLEU hands corpus_bleu N reference lengths from an array of N - 1,
# so the closest length also sees one value read past the array (often 0). It can only win
# for a sample at most half as long as every other one: these lengths (5 to 9) avoid that.
SIMILAR_LENGTHS = [
    "the cat sat on the mat",
    "a dog sat on the log",
    "the cat sat on the log today",
    "the mat is red and the cat is not",
    "birds fly over the red mat",
    "a cat and a dog sat",
]


def test_method1_equals_fast_bleu(reference):
    fast_bleu = reference("fast_bleu")
    toks = [t.split() for t in SIMILAR_LENGTHS]
    theirs = fast_bleu.SelfBLEU(toks, {"4": (0.25,) * 4}).get_score()["4"]  # its default smoothing_func=1
    ours = self_bleu_scores(tokenize(SIMILAR_LENGTHS, "whitespace"), 4, "method1")
    assert list(ours) == pytest.approx(_nltk(SIMILAR_LENGTHS, "method1"), rel=1e-12)
    assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15) for a, b in zip(ours, theirs)), (list(ours), theirs)


def test_report_and_cli_pass_the_smoothing(tmp_path, capsys):
    expected = self_bleu(TEXTS, smoothing="method1").self_bleu
    rep = diversity_report(TEXTS, self_bleu_smoothing="method1")
    assert rep["self_bleu"] == expected and rep["self_bleu_detail"]["smoothing"] == "method1"
    path = tmp_path / "t.txt"
    path.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    assert main(["diversity", str(path), "--json", "--self-bleu-smoothing", "method1"]) == 0
    assert json.loads(capsys.readouterr().out)["self_bleu"] == expected
    assert main(["diversity", str(path), "--self-bleu-smoothing", "method7"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "--self-bleu-smoothing" in err[0]


def test_cli_defaults_are_the_metric_defaults():
    options = inspect.signature(diversity_cmd).parameters
    report = inspect.signature(diversity_report).parameters
    assert options["compression"].default.default == report["compression"].default == DEFAULT_COMPRESSION == "zstd"
    assert options["self_bleu_smoothing"].default.default == report["self_bleu_smoothing"].default == DEFAULT_SMOOTHING == "none"
