"""Tokenisation and masking shared by training and evaluation."""

from __future__ import annotations

import pytest

from synthdiv.errors import UserError
from synthdiv.records import Record
from synthdiv.tasks import prompt_text, target_text
from synthdiv.training.encoding import IGNORE_INDEX, collate, encode_records, length_grouped_batches, sorted_batches


def test_prompt_tokens_are_masked_and_target_tokens_carry_labels(tiny_tokenizer, records_of):
    recs = records_of(6)
    data = encode_records(recs, tiny_tokenizer, max_length=256)
    for rec, ex in zip(recs, data.examples):
        n_prompt = sum(1 for label in ex.labels if label == IGNORE_INDEX)
        assert ex.labels[:n_prompt] == [IGNORE_INDEX] * n_prompt  # the mask is one prompt prefix
        assert ex.labels[n_prompt:] == ex.input_ids[n_prompt:]
        assert ex.n_target == len(ex.input_ids) - n_prompt
        assert ex.input_ids[-1] == tiny_tokenizer.eos_token_id  # the model learns to stop
        # the labelled tokens decode to exactly the target (plus the space glued to its first word)
        decoded = tiny_tokenizer.decode(ex.input_ids[n_prompt:-1])
        assert decoded.strip() == target_text(rec)
        assert tiny_tokenizer.decode(ex.input_ids) == prompt_text(rec) + target_text(rec) + tiny_tokenizer.eos_token


def test_loss_on_text_labels_the_whole_record(tiny_tokenizer, records_of):
    recs = records_of(3)
    target_only = encode_records(recs, tiny_tokenizer, max_length=256)
    whole = encode_records(recs, tiny_tokenizer, max_length=256, loss_on="text")
    for a, b in zip(target_only.examples, whole.examples):
        assert a.input_ids == b.input_ids and a.n_target == b.n_target  # same tokens, same target count
        n_special = next(i for i, t in enumerate(b.input_ids) if t not in tiny_tokenizer.all_special_ids)
        assert b.labels[:n_special] == [IGNORE_INDEX] * n_special and b.labels[n_special:] == b.input_ids[n_special:]
        assert sum(label != IGNORE_INDEX for label in b.labels) > sum(label != IGNORE_INDEX for label in a.labels)


def test_loss_on_must_be_target_or_text():
    from synthdiv.training.config import TrainConfig

    with pytest.raises(UserError, match="unknown loss_on 'all'"):
        TrainConfig(model="m", loss_on="all")


def test_joint_tokenisation_matches_tokenising_the_whole_text(tiny_tokenizer, records_of):
    rec = records_of(1)[0]
    data = encode_records([rec], tiny_tokenizer, max_length=256)
    whole = tiny_tokenizer(prompt_text(rec) + target_text(rec))["input_ids"]
    assert data.examples[0].input_ids[:-1] == whole  # no artificial split at the prompt/target boundary


def test_long_prompt_is_cut_from_the_left_never_the_target(tiny_tokenizer, records_of):
    rec = Record(id="long", task="story_completion", context="He searched everywhere. " * 40, target="He found the cow and brought it back.")
    full = encode_records([rec], tiny_tokenizer, max_length=10_000).examples[0]
    data = encode_records([rec], tiny_tokenizer, max_length=40)
    ex = data.examples[0]
    assert len(ex.input_ids) == 40
    assert data.truncated_records == 1 and data.truncated_tokens == len(full.input_ids) - 40 == ex.truncated_tokens
    assert ex.input_ids == full.input_ids[-40:]  # the end of the prompt and the whole target survive
    assert ex.n_target == full.n_target
    short = encode_records(records_of(3), tiny_tokenizer, max_length=256)
    assert short.truncated_records == 0


def test_target_that_cannot_fit_is_an_error_naming_the_length(tiny_tokenizer):
    rec = Record(id="big", task="story_completion", context="Short.", target="He found the cow and brought it back. " * 10)
    n = encode_records([rec], tiny_tokenizer, max_length=10_000).examples[0].n_target
    with pytest.raises(UserError, match=rf"record big.*--max-length {n + 1}"):
        encode_records([rec], tiny_tokenizer, max_length=n)


def test_question_answer_records_are_encoded_with_the_question_in_the_prompt(tiny_tokenizer):
    rec = Record(id="q", task="long_context_qa", context="The actor wears a black cloak.", question="Who delivers the prologue?", target="The actor.")
    ex = encode_records([rec], tiny_tokenizer, max_length=256).examples[0]
    n_prompt = ex.labels.count(IGNORE_INDEX)
    assert "Question: Who delivers the prologue?" in tiny_tokenizer.decode(ex.input_ids[:n_prompt])
    assert tiny_tokenizer.decode(ex.input_ids[n_prompt:-1]).strip() == "The actor."


def test_length_grouped_batches_cover_everything_once_and_reduce_padding():
    import random

    rng = random.Random(0)
    lengths = [rng.randint(5, 300) for _ in range(500)]
    batches = length_grouped_batches(lengths, 8, seed=1, epoch=0)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(500))
    assert batches == length_grouped_batches(lengths, 8, seed=1, epoch=0)  # deterministic
    assert batches != length_grouped_batches(lengths, 8, seed=1, epoch=1)  # reshuffled per epoch
    assert max(lengths[i] for i in batches[0]) == max(lengths)  # longest first
    padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    order = list(range(500))
    rng.shuffle(order)
    random_padded = sum(8 * max(lengths[i] for i in order[j : j + 8]) for j in range(0, 500, 8))
    assert padded < 0.7 * random_padded
    assert sorted(i for b in sorted_batches(lengths, 3) for i in b) == list(range(500))


def test_collate_pads_to_the_batch_longest_not_max_length(tiny_tokenizer, records_of):
    data = encode_records(records_of(4), tiny_tokenizer, max_length=512)
    batch = collate(data.examples[:2], tiny_tokenizer.pad_token_id)
    longest = max(len(e.input_ids) for e in data.examples[:2])
    assert batch["input_ids"].shape == (2, longest)
    for row, ex in enumerate(data.examples[:2]):
        k = len(ex.input_ids)
        assert batch["attention_mask"][row].sum() == k
        assert (batch["labels"][row, k:] == IGNORE_INDEX).all()
    assert collate(data.examples[:2], 0, pad_to_multiple_of=8)["input_ids"].shape[1] % 8 == 0


def test_plain_text_is_language_modelled_whole_and_cut_at_its_end(tiny_tokenizer):
    rec = Record(id="t", task="lm", context="", target="She baked a cake for her friend. It was delicious.")
    ex = encode_records([rec], tiny_tokenizer, max_length=256).examples[0]
    # no BOS: the first token conditions the rest, every later token (and EOS) carries loss
    assert ex.labels[0] == IGNORE_INDEX and ex.labels[1:] == ex.input_ids[1:]
    assert ex.n_target == len(ex.input_ids) - 1
    cut = encode_records([rec], tiny_tokenizer, max_length=5)
    assert cut.examples[0].input_ids == ex.input_ids[:5] and cut.examples[0].n_target == 4
    assert cut.truncated_records == 1 and cut.truncated_tokens == len(ex.input_ids) - 5


def test_a_chat_record_is_encoded_through_the_chat_template(tiny_tokenizer):
    rec = Record(id="c", task="sft", context="Who?", target="The actor.", messages=[{"role": "user", "content": "Who?"}])
    ex = encode_records([rec], tiny_tokenizer, max_length=256).examples[0]
    n_prompt = ex.labels.count(IGNORE_INDEX)
    assert tiny_tokenizer.decode(ex.input_ids[:n_prompt]) == "<|user|>Who?<|end|><|assistant|>"
    assert tiny_tokenizer.decode(ex.input_ids[n_prompt:]) == "The actor.<|end|>"


def test_a_prompt_completion_pair_is_encoded_as_written(tiny_tokenizer):
    rec = Record(id="p", task="sft", context="Question: Who?\nAnswer:", target=" The actor.")
    ex = encode_records([rec], tiny_tokenizer, max_length=256).examples[0]
    assert tiny_tokenizer.decode(ex.input_ids) == "Question: Who?\nAnswer: The actor.<|end|>"
    assert tiny_tokenizer.decode(ex.input_ids[ex.labels.count(IGNORE_INDEX):-1]).strip() == "The actor."
