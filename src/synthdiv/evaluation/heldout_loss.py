"""The held-out test loss: summed NLL over every target token of the test set / their number.

The paper (§4.1) compares models by their loss on the real test set. We define
it as a token-weighted mean over the whole set, accumulated in float64:

    test_loss = sum over records, target tokens t of -log p(t | preceding tokens)
                / number of target tokens

It is computed in fp32 whatever the caller's autocast (a bf16 training run's, a user's): bf16 products
moved SmolLM2-135M's test loss on 64 corpus stories by 0.0011 nats/token, half the findings' ±0.002
resolution, and single records' losses by 0.008 (sd; docs/training.md, Precision). The per-record sums
come back in fp32 and are added in float64.

It is not a mean of batch means (what ``Trainer.evaluate`` reports, which moves
with the batch size because batches hold different numbers of tokens). With
right padding and the attention mask, a record's loss does not depend on what
it is batched with, so the result is the same for any batch size up to float
rounding (the tests check batch sizes 1, 3 and 8 agree to 1e-5).

Tokenisation, masking and the per-token NLL come from
:mod:`synthdiv.training.encoding` and :mod:`synthdiv.training.loss`, the
modules training uses: the test loss is measured on exactly the tokens the
training loss is.

In a run of several processes (``synthdiv evaluate --processes N``, or after
``train --processes N``; torch.distributed initialised) each process scores every
N-th batch and the per-record losses are gathered, so every process returns the
whole result, each record counted once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from synthdiv.records import Record
from synthdiv.training.encoding import collate, encode_records, sorted_batches


@dataclass
class EvalResult:
    test_loss: float  # nats per target token
    tokens: int  # target tokens (the loss-bearing ones, end-of-sequence included)
    samples: int
    characters: int  # characters of the targets
    loss_per_char: float  # summed NLL / characters: comparable across tokenizers
    perplexity: float
    truncated_records: int  # records whose prompt was cut from the left to fit max_length
    max_length: int
    per_sample: list[dict] = field(default_factory=list, repr=False)  # id, loss, nll, tokens, chars

    def to_dict(self, per_sample: bool = False) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k != "per_sample"}
        if per_sample:
            d["per_sample"] = self.per_sample
        return d


def evaluate(model, tokenizer, records: list[Record], *, batch_size: int = 8, max_length: int = 512, progress: bool = False,
             desc: str = "evaluate") -> EvalResult:
    """Test loss of ``model`` (plain or PEFT) on the target tokens of ``records``; ``progress`` draws a
    bar labelled ``desc`` on stderr, counting records (batches differ in length, records are what the user gave)."""
    import sys

    import torch
    from tqdm.auto import tqdm

    from synthdiv.training.loss import TargetNLL

    data = encode_records(records, tokenizer, max_length)
    device = next(model.parameters()).device
    scorer = TargetNLL(model)
    was_training = model.training
    model.eval()  # no dropout
    nll: list[float | None] = [None] * len(data)
    rank, world = _process_share()
    batches = sorted_batches(data.lengths, batch_size)[rank::world]  # longest first: the shares cost about the same
    try:
        mine = sum(len(b) for b in batches)
        bar = tqdm(total=mine, desc=desc, unit="rec", file=sys.stderr, dynamic_ncols=True, disable=not progress or rank > 0)
        # autocast off: an fp32 model is scored in fp32 even inside a caller's bf16 region
        with torch.no_grad(), torch.autocast(device.type, enabled=False), bar:
            for idx in batches:
                batch = {k: v.to(device) for k, v in collate([data.examples[i] for i in idx], tokenizer.pad_token_id).items()}
                per_sample, _ = scorer(**batch)
                for i, value in zip(idx, per_sample.double().tolist()):
                    nll[i] = value
                bar.update(len(idx))
    finally:
        model.train(was_training)
    if world > 1:
        nll = _gathered(nll)
    total_nll = math.fsum(nll)  # exact summation: the order of batches cannot change the result
    tokens = data.target_tokens
    chars = sum(e.target_chars for e in data.examples)
    per = [
        {"id": rid, "loss": v / e.n_target, "nll": v, "tokens": e.n_target, "chars": e.target_chars, "truncated_tokens": e.truncated_tokens}
        for rid, v, e in zip(data.ids, nll, data.examples)
    ]
    loss = total_nll / tokens
    return EvalResult(
        test_loss=loss, tokens=tokens, samples=len(data), characters=chars, loss_per_char=total_nll / max(chars, 1),
        perplexity=math.exp(min(loss, 700.0)), truncated_records=data.truncated_records, max_length=max_length, per_sample=per,
    )  # fmt: skip


def _process_share() -> tuple[int, int]:
    """(this process's rank, number of processes) of an initialised torch.distributed run, else (0, 1)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _gathered(nll: list[float | None]) -> list[float]:
    """Every process's per-record NLLs in one list; each record was scored by exactly one process."""
    import torch.distributed as dist

    shares: list = [None] * dist.get_world_size()
    dist.all_gather_object(shares, {i: v for i, v in enumerate(nll) if v is not None})
    counts = [0] * len(nll)
    merged = [0.0] * len(nll)
    for share in shares:
        for i, value in share.items():
            counts[i] += 1
            merged[i] = value
    if any(c != 1 for c in counts):  # a bug in the sharding, never the user's
        raise RuntimeError(f"records scored {sorted(set(counts))} times across processes; each must be scored once")
    return merged


def evaluate_base(model, tokenizer, records: list[Record], **kwargs) -> EvalResult:
    """The base model's test loss (before fine-tuning): a PEFT model with its adapter switched off.
    LoRA leaves the base weights untouched, so this equals the loss of the model before training."""
    if hasattr(model, "disable_adapter"):
        with model.disable_adapter():
            return evaluate(model, tokenizer, records, **kwargs)
    return evaluate(model, tokenizer, records, **kwargs)


def evaluate_model(name: str, records: list[Record], *, batch_size: int = 8, max_length: int | None = None, base: bool = True,
                   progress: bool = False) -> tuple[EvalResult, float | None, dict]:
    """Load ``name`` (an adapter folder from ``synthdiv train``, a registry name, hub id or model folder), put it
    on the GPU when there is one, and score ``records``: (result, the base model's test loss for an adapter
    when ``base``, else None, and the model's info). ``max_length``: default the adapter's training max
    length, else 512. What ``synthdiv evaluate`` (in each of its processes) and ``synthdiv.evaluate`` run; with several
    processes each scores its share and ``result`` holds every record's loss (evaluate gathers them)."""
    from synthdiv.evaluation.loading import load_for_evaluation

    net, tokenizer, info = load_for_evaluation(name)  # first: a broken adapter fails before torch is imported
    import torch
    from accelerate import PartialState

    # joins the processes of a several-process run (gloo on a CPU; synthdiv.training.launch), and gives each its own GPU
    net.to(PartialState(cpu=not torch.cuda.is_available()).device)
    length = max_length or info["train_config"].get("max_length") or 512
    result = evaluate(net, tokenizer, records, batch_size=batch_size, max_length=length, progress=progress)
    base_loss = None
    if info["adapter"] and base:
        base_loss = evaluate_base(net, tokenizer, records, batch_size=batch_size, max_length=length, progress=progress,
                                  desc="evaluate, base model").test_loss
    return result, base_loss, {"base_model": info["base_model"], "adapter": info["adapter"]}
