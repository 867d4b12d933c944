"""Seed copying on hand-made cases: longest common word run, ROUGE-L, the copy rule."""

from __future__ import annotations

from synthdiv.metrics.seed_copy import COPY_ROUGE_L, COPY_RUN_WORDS, lcs_length, longest_common_run, rouge_l, seed_copy, words

SEED = "Tom went to the market on Monday. He bought three red apples and a loaf of bread for his mother."


def test_words_drop_case_and_punctuation():
    assert words("Tom's dog, Rex!") == ["tom's", "dog", "rex"]


def test_longest_run_and_lcs_by_hand():
    a, b = "a b c d e".split(), "x b c d y e".split()
    assert longest_common_run(a, b) == 3 and lcs_length(a, b) == 4
    assert rouge_l(a, b) == 2 * (4 / 5) * (4 / 6) / (4 / 5 + 4 / 6)
    assert rouge_l([], b) == 0.0 and longest_common_run(a, []) == 0


def test_a_verbatim_sentence_is_a_copy_and_shared_phrases_are_not():
    copied = seed_copy("One day she smiled. He bought three red apples and a loaf of bread for his mother.", [("s1", SEED)])
    assert copied.longest_run == 13 and copied.seed_id == "s1" and copied.is_copy()
    assert "copies seed s1: 13-word run" in copied.reason()
    own = seed_copy("Anna went to the park on a sunny day. She fed the ducks and then walked home.", [("s1", SEED)])
    assert own.longest_run == 3 and own.rouge_l < COPY_ROUGE_L and not own.is_copy()


def test_a_retelling_with_words_changed_is_caught_by_rouge_l():
    retold = "Tom went to the shop on Monday. He bought three green apples and a bag of bread for his father."
    s = seed_copy(retold, [("s1", SEED)])
    assert s.longest_run < COPY_RUN_WORDS and s.rouge_l >= COPY_ROUGE_L and s.is_copy()


def test_the_closest_of_several_seeds_is_named():
    s = seed_copy(SEED, [("far", "Nothing alike here at all."), ("near", SEED)])
    assert s.seed_id == "near" and s.rouge_l == 1.0
    assert seed_copy("anything", []).seed_id is None


def _textbook_run(a, b):
    best, prev = 0, [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, 1):
            if x == y:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def _textbook_lcs(a, b):
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def test_the_bit_parallel_scores_are_the_textbook_tables():
    import random

    rng = random.Random(0)
    for _ in range(400):
        vocab = "abcdefgh"[: rng.randint(1, 8)]
        a = rng.choices(vocab, k=rng.randint(0, 70))
        b = rng.choices(vocab, k=rng.randint(0, 70))
        if rng.random() < 0.3 and a:  # a copied stretch, as in a seed copy
            i = rng.randint(0, len(a) - 1)
            b = b[: len(b) // 2] + a[i : i + rng.randint(1, 30)] + b[len(b) // 2 :]
        assert longest_common_run(a, b) == _textbook_run(a, b)
        assert lcs_length(a, b) == _textbook_lcs(a, b)


def test_all_seeds_at_once_score_as_each_seed_alone():
    """seed_copy scores a record's seeds side by side in one integer: the same as the textbook tables seed by seed."""
    import random

    from synthdiv.metrics.seed_copy import SeedCopy, prepared

    rng = random.Random(1)
    vocab = "the a cat dog ran sat on mat hat and".split()
    for _ in range(300):
        text = " ".join(rng.choices(vocab[: rng.randint(1, 10)], k=rng.randint(0, 70)))
        seeds = [(f"s{i}", " ".join(rng.choices(vocab, k=rng.randint(0, 70)))) for i in range(rng.randint(0, 4))]
        expected = SeedCopy(0, 0.0, None)
        for seed_id, seed_text in seeds:  # the rule: the longest run of any seed, the seed of the highest ROUGE-L
            a, b = words(text), words(seed_text)
            run, score = max(_textbook_run(a, b), expected.longest_run), rouge_l(a, b)
            expected = SeedCopy(run, score, seed_id) if score > expected.rouge_l or expected.seed_id is None else \
                SeedCopy(run, expected.rouge_l, expected.seed_id)
        assert seed_copy(text, seeds) == expected
        assert seed_copy(text, [prepared(*s) for s in seeds]) == expected
