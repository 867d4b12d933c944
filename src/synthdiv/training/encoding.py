"""Records to token ids and loss masks, and length-grouped batches.

This module is the ONE place where a record becomes tokens: training
(:mod:`synthdiv.training.recipe`) and evaluation (:mod:`synthdiv.evaluation`)
both call :func:`encode_records`, so the training loss and the test loss are
always computed on the same tokens with the same mask.

How a record is encoded
-----------------------
* text = ``prompt_text(record) + target_text(record)`` (:mod:`synthdiv.tasks`),
  tokenised in ONE call. Tokenising prompt and target separately would split
  the word that starts the target differently from how the model saw it in
  pre-training (the prompt ends with a space; BPE glues it to the next word).
  A token belongs to the target when its character span ends inside the
  target, so the token " He" that straddles the boundary carries loss.
* The tokenizer's end-of-sequence token is appended to the target (it carries
  loss too, so a fine-tuned model learns to stop).
* Labels are the input ids on target tokens and -100 on prompt tokens: prompt
  tokens never carry loss.
* A record longer than ``max_length`` is truncated from the LEFT of the prompt
  (after any leading special token such as BOS), never in the target; such
  records are counted. A record whose target alone does not fit is an error
  that says how long ``max_length`` must be.
* A record without a prompt (plain text, task ``lm``) is language-modelled
  whole: its first token (or BOS) is the condition and every later token
  carries loss; one longer than ``max_length`` keeps its first ``max_length``
  tokens (counted as truncated).
* A chat record's prompt goes through the tokenizer's chat template
  (:func:`synthdiv.tasks.prompt_text`).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from synthdiv.errors import UserError
from synthdiv.records import Record
from synthdiv.tasks import prompt_text, target_text

IGNORE_INDEX = -100  # the value torch's cross_entropy skips


@dataclass
class Example:
    """One encoded record."""

    input_ids: list[int]
    labels: list[int]
    n_target: int  # tokens that carry loss
    target_chars: int  # characters of target_text, for loss per character
    truncated_tokens: int = 0  # prompt tokens cut from the left


@dataclass
class EncodedSet:
    examples: list[Example]
    ids: list[str]
    max_length: int
    truncated_records: int = 0
    truncated_tokens: int = 0
    lengths: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.examples)

    @property
    def target_tokens(self) -> int:
        return sum(e.n_target for e in self.examples)

    @property
    def tokens(self) -> int:
        return sum(self.lengths)

    def fingerprint(self) -> str:
        """sha256 of every token and label: a resumed run checks it trains on the same data."""
        h = hashlib.sha256()
        for e in self.examples:
            h.update(repr((e.input_ids, e.labels)).encode())
        return h.hexdigest()


def _split_jointly(tokenizer, prompts: list[str], targets: list[str]) -> list[tuple[list[int], int, int]]:
    """(ids, number of leading special tokens, index of the first target token) per record."""
    texts = [p + t for p, t in zip(prompts, targets)]
    enc = tokenizer(texts, add_special_tokens=True, return_offsets_mapping=True)
    specials = set(tokenizer.all_special_ids)
    out = []
    for ids, offsets, prompt in zip(enc["input_ids"], enc["offset_mapping"], prompts):
        n_special = 0
        while n_special < len(ids) and tuple(offsets[n_special]) == (0, 0) and ids[n_special] in specials:
            n_special += 1
        boundary = len(prompt)
        first_target = next((i for i, (s, e) in enumerate(offsets) if i >= n_special and e > boundary), len(ids))
        # drop special tokens some tokenizers append (e.g. an EOS); we append our own
        end = len(ids)
        while end > first_target and ids[end - 1] in specials:
            end -= 1
        out.append((list(ids[:end]), n_special, first_target))
    return out


def _split_separately(tokenizer, prompts: list[str], targets: list[str]) -> list[tuple[list[int], int, int]]:
    """Fallback for slow tokenizers without character offsets."""
    specials = set(tokenizer.all_special_ids)
    out = []
    for p, t in zip(prompts, targets):
        p_ids = tokenizer(p, add_special_tokens=True)["input_ids"]
        t_ids = tokenizer(t, add_special_tokens=False)["input_ids"]
        n_special = 0
        while n_special < len(p_ids) and p_ids[n_special] in specials:
            n_special += 1
        out.append((list(p_ids) + list(t_ids), n_special, len(p_ids)))
    return out


def encode_records(records: list[Record], tokenizer, max_length: int, loss_on: str = "target") -> EncodedSet:
    """Encode records for training or evaluation (see the module docstring). ``loss_on="text"``
    puts labels on the prompt tokens too (the whole record is language-modelled), for a
    student that must later write whole records, as in a recursive-training loop."""
    if max_length < 2:
        raise UserError(f"--max-length is {max_length}; it must be at least 2", where="--max-length")
    if not records:
        raise UserError("no records to encode; give a file with at least one record")
    prompts = [prompt_text(r, tokenizer) for r in records]
    targets = [target_text(r) for r in records]
    split = _split_jointly if getattr(tokenizer, "is_fast", False) else _split_separately
    eos = tokenizer.eos_token_id
    examples, lengths = [], []
    n_trunc_records = n_trunc_tokens = 0
    for rec, target, (ids, n_special, first_target) in zip(records, targets, split(tokenizer, prompts, targets)):
        if eos is not None:
            ids = ids + [eos]
        no_prompt = first_target == n_special
        if no_prompt:  # nothing predicts the first token but BOS: without one, it is the condition
            first_target = max(first_target, 1)
        n_target = len(ids) - first_target
        if n_target == 0:
            raise UserError("target has no tokens; give a non-empty target", where=f"record {rec.id}")
        cut = 0
        if no_prompt and len(ids) > max_length:  # plain text: keep its beginning
            cut = len(ids) - max_length
            ids = ids[:max_length]
            n_target -= cut
            n_trunc_records += 1
            n_trunc_tokens += cut
        elif len(ids) > max_length:
            cut = len(ids) - max_length
            # keep the leading special tokens and at least one prompt token to predict the first target token
            if first_target - n_special - cut < 1:
                need = n_special + 1 + n_target
                raise UserError(
                    f"its target alone is {n_target} tokens; the target is never truncated, so use --max-length {need} or more",
                    where=f"record {rec.id}",
                )
            ids = ids[:n_special] + ids[n_special + cut :]
            first_target -= cut
            n_trunc_records += 1
            n_trunc_tokens += cut
        first_label = first_target if loss_on == "target" else n_special
        labels = [IGNORE_INDEX] * first_label + ids[first_label:]
        examples.append(Example(ids, labels, n_target, len(target), cut))
        lengths.append(len(ids))
    return EncodedSet(examples, [r.id for r in records], max_length, n_trunc_records, n_trunc_tokens, lengths)


# ----- batching ---------------------------------------------------------------
def length_grouped_batches(lengths: list[int], batch_size: int, *, seed: int, epoch: int, megabatch: int = 50) -> list[list[int]]:
    """Training batches: shuffle, then sort by length inside megabatches of
    ``batch_size * megabatch`` records, so a batch holds records of similar
    length (little padding) while the order stays random across megabatches.
    Deterministic in (seed, epoch), which is what lets a resumed run find its place."""
    rng = random.Random(f"{seed}:{epoch}")
    order = list(range(len(lengths)))
    rng.shuffle(order)
    size = batch_size * megabatch
    batches = []
    for start in range(0, len(order), size):
        mega = sorted(order[start : start + size], key=lambda i: -lengths[i])
        batches.extend(mega[j : j + batch_size] for j in range(0, len(mega), batch_size))
    rng.shuffle(batches)
    # the longest batch first: an out-of-memory error shows at step 1, not hours in
    longest = max(range(len(batches)), key=lambda b: max(lengths[i] for i in batches[b]))
    batches.insert(0, batches.pop(longest))
    return batches


def sorted_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Evaluation batches: longest first, no shuffling (the order does not change the result)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    return [order[j : j + batch_size] for j in range(0, len(order), batch_size)]


def collate(examples: list[Example], pad_token_id: int, pad_to_multiple_of: int | None = None):
    """Right-pad a batch to its own longest example (never to a fixed maximum).
    Right padding keeps position ids 0..n-1 for every real token, so a record's
    loss does not depend on what it is batched with."""
    import torch

    width = max(len(e.input_ids) for e in examples)
    if pad_to_multiple_of:
        width = -(-width // pad_to_multiple_of) * pad_to_multiple_of
    n = len(examples)
    input_ids = torch.full((n, width), pad_token_id, dtype=torch.long)
    labels = torch.full((n, width), IGNORE_INDEX, dtype=torch.long)
    attention_mask = torch.zeros((n, width), dtype=torch.long)
    for row, e in enumerate(examples):
        k = len(e.input_ids)
        input_ids[row, :k] = torch.tensor(e.input_ids)
        labels[row, :k] = torch.tensor(e.labels)
        attention_mask[row, :k] = 1
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}
