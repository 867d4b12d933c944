"""LoRA fine-tuning of a causal LM: the recipe, top to bottom.

:func:`train` is the outline; its parts (setup, one optimizer step, the closing summary)
are the helpers below it. Checkpoints and the resume live in :mod:`checkpoints`, the
adapter and merged weights a finished run saves in :mod:`saving`.

The shape follows nanoGPT and torchtune's recipes (an explicit loop, not a
Trainer subclass), so every guarantee below is visible in the code:

* loss only on target tokens, from the shared :mod:`encoding` and :mod:`loss`
  modules (evaluation uses the same two, so train and test loss agree on what a
  token's loss is);
* length-grouped batches padded to their own longest record (never to a fixed
  maximum), which is where the speed-up over a padded baseline comes from;
* gradient accumulation normalised by the number of target tokens in the whole
  optimizer step (not a mean of micro-batch means, which over-weights tokens of
  short batches);
* seeded: same seed, same data, same numbers on the CPU;
* bf16 mixed precision (``precision``, :mod:`synthdiv.training.precision`): fp32 weights, gradients and
  optimizer, bf16 matrix products under autocast, the loss and its reduction in fp32; on a GPU that
  supports it, or on request on a CPU with native bf16 (AVX512-BF16, AMX-BF16);
* several processes (``synthdiv train --processes N``, :mod:`synthdiv.training.launch`; or
  ``accelerate launch`` / ``torchrun``): an optimizer step holds the same records as with one
  process, each process takes its share of every micro-batch (records ``rank::N``), and one
  all-reduce sums the LoRA gradients before the step, so the global batch, the number of steps and
  the learning-rate schedule are those of one process and the gradient is the same sum over the
  step's target tokens (equal up to float rounding; dropout masks differ, each process drawing its own);
* a checkpoint every K optimizer steps, and resume from the newest one after a
  kill: weights, optimizer, scheduler, RNG states and the data position
  (:mod:`synthdiv.training.checkpoints`).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from synthdiv.errors import UserError
from synthdiv.records import Record
from synthdiv.training.checkpoints import Position, prepare_out, restore, run_fingerprint, save_after_step
from synthdiv.training.config import TrainConfig, default_target_modules
from synthdiv.training.encoding import EncodedSet, collate, encode_records, length_grouped_batches
from synthdiv.training.precision import resolve_precision
from synthdiv.training.saving import save_adapter


@dataclass
class TrainResult:
    out: Path
    steps: int
    epochs: int
    first_loss: float | None
    final_loss: float | None
    records: int
    target_tokens: int  # per epoch
    truncated_records: int
    tokens_per_s: float  # real (non-pad) tokens trained on per second, this session
    elapsed_s: float
    resumed_from: int  # optimizer step of the checkpoint this session started from (0: fresh)
    precision: str = "fp32"  # what config.precision resolved to on this machine: bf16 (mixed) or fp32
    epoch_losses: list[float] = field(default_factory=list)  # token-weighted mean loss of each epoch (train_log.csv)
    model: Any = None  # the PEFT model, for evaluation in the same process
    tokenizer: Any = None

    def summary(self) -> dict:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.__dict__.items() if k not in ("model", "tokenizer")}

    def to_dict(self) -> dict:
        return self.summary()


def add_lora(model, config: TrainConfig):
    """Wrap ``model`` with LoRA adapters; the base weights are frozen."""
    from peft import LoraConfig, get_peft_model

    from synthdiv.training.dropout import use_gap_dropout

    model_type = getattr(model.config, "model_type", "")
    targets = config.target_modules or default_target_modules(model_type)
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=targets,
        task_type="CAUSAL_LM",
        fan_in_fan_out=model_type == "gpt2",  # GPT-2 stores its projections transposed (Conv1D)
    )
    try:
        wrapped = get_peft_model(model, lora)
    except ValueError as exc:
        raise UserError(
            f"LoRA target modules {targets} do not fit this {model_type or 'unknown'} model ({str(exc)[:120]}); "
            "name the model's linear layers with --target-modules",
            where="--target-modules",
        ) from None
    use_gap_dropout(wrapped)  # on a CPU, the masks' draws cost 20x less (training.dropout); on a GPU, nn.Dropout's
    return wrapped


def _micro_batches_per_step(batches: list[list[int]], grad_accum: int) -> list[list[list[int]]]:
    """Group an epoch's batches into optimizer steps of ``grad_accum`` micro-batches, whatever the number
    of processes: they share each micro-batch's records (:func:`_share`), so the steps are one process's."""
    return [batches[i : i + grad_accum] for i in range(0, len(batches), grad_accum)]


def _share(group: list[list[int]], rank: int, world: int) -> list[list[int]]:
    """This process's part of a step: every ``world``-th record of each micro-batch from ``rank`` on.
    The records of a length-grouped batch have about one length, so the parts cost about the same;
    a process whose part of a small last batch is empty skips it (its gradient counts zero)."""
    return [part for batch in group if (part := batch[rank::world])]


@dataclass
class _Run:
    """What the loop works on, built once by :func:`_setup`."""

    accelerator: Any
    model: Any  # the PEFT model
    tokenizer: Any
    data: EncodedSet
    loss_module: Any  # TargetNLL of the model, on this process's device (not wrapped: gradients are summed by hand)
    params: list  # the LoRA weights, the only trainable ones
    optimizer: Any
    scheduler: Any
    total_steps: int
    n_epochs: int
    fingerprint: dict  # what a checkpoint must match to be resumed
    pad_multiple: int | None
    precision: str  # bf16 (mixed) or fp32, resolved for this machine


@dataclass
class _Progress:
    """This session's count of steps, tokens, losses and time."""

    step: int
    t0: float = field(default_factory=time.perf_counter)
    tokens_seen: int = 0
    first_loss: float | None = None
    final_loss: float | None = None

    def add(self, epoch: int, loss: float, lr: float, n_target: int, tokens: int) -> dict:
        """Count one finished optimizer step and return its row of train_log.csv."""
        self.step += 1
        self.tokens_seen += tokens
        elapsed = time.perf_counter() - self.t0
        self.first_loss = loss if self.first_loss is None else self.first_loss
        self.final_loss = loss
        return {
            "step": self.step, "epoch": epoch, "loss": loss, "lr": lr, "target_tokens": n_target,
            "tokens": tokens, "tokens_per_s": self.tokens_seen / elapsed, "elapsed_s": elapsed,
        }  # fmt: skip


def train(
    records: list[Record],
    config: TrainConfig,
    out: str | os.PathLike,
    *,
    model=None,
    tokenizer=None,
    resume: bool = True,
    on_step: Callable[[int, dict], None] | None = None,
    tracker=None,
) -> TrainResult:
    """Fine-tune ``config.model`` (or the given ``model``/``tokenizer``) with LoRA on ``records``.

    Writes into ``out``: the adapter (``adapter_config.json``, ``adapter_model.safetensors``),
    the tokenizer, ``train_config.json`` (every setting and the run's numbers),
    ``train_log.csv``, ``tensorboard/`` and ``checkpoints/``. ``on_step(step, row)``
    is called after each optimizer step (and its checkpoint). ``tracker`` (a started
    :class:`synthdiv.training.tracking.Tracker`) gets each step's loss and learning rate;
    without one, ``config.report_to`` names the trackers of a run under ``out/tracking``."""
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from tqdm.auto import tqdm

    from synthdiv.training.runlog import RunLog
    from synthdiv.training.tracking import train_params, training_tracker

    import torch

    out = Path(out)
    # cpu=True without a GPU: with several processes accelerate then joins them with gloo (else it would
    # leave each one alone); with one, nothing changes
    precision = resolve_precision(config.precision)  # a bf16 request this machine cannot honour fails here
    # fp32 to accelerate whatever the precision: the bf16 autocast is ours (_optimizer_step), because accelerate's
    # state is one per process and refuses a second run in another precision (a sweep, the tests, the benchmark)
    accelerator = Accelerator(cpu=not torch.cuda.is_available())
    main = accelerator.is_main_process
    set_seed(config.seed)  # python, numpy, torch: LoRA's initial weights and dropout follow it
    prepare_out(out, {"config": run_fingerprint(config, None, accelerator.num_processes)["config"]}, resume)  # before the model loads
    tracker, own_tracker = training_tracker(config, out, tracker, main)  # a missing package fails here
    run = _setup(records, config, accelerator, model, tokenizer, precision)
    if accelerator.num_processes > 1:
        set_seed(config.seed, device_specific=True)  # the LoRA weights are alike everywhere; dropout differs per process
    start = restore(out, run.fingerprint, resume, run.model, run.optimizer, run.scheduler, rank=accelerator.process_index)
    out.mkdir(parents=True, exist_ok=True)
    log = RunLog(out, resume_step=start.step, tensorboard=True) if main else None
    if own_tracker:
        tracker.start(out.resolve().name, train_params(config))

    bar = tqdm(total=run.total_steps, initial=start.step, unit="step", dynamic_ncols=True, disable=not (config.progress and main))
    run.loss_module.train()
    progress = _Progress(step=start.step)
    for epoch, group, next_place in _steps(run, config, start):
        if progress.step >= run.total_steps:
            break
        lr = run.scheduler.get_last_lr()[0]
        loss, n_target, tokens = _optimizer_step(run, config, group)
        row = progress.add(epoch, loss, lr, n_target, tokens)
        _report_step(row, log, tracker, bar)
        if config.checkpoint_every and progress.step % config.checkpoint_every == 0 and progress.step < run.total_steps:
            at = Position(progress.step, *next_place)
            save_after_step(run.accelerator, out, at, loss, run.fingerprint, run.model, run.optimizer, run.scheduler, config.keep_checkpoints,
                            rng_by_rank=_rng_by_rank(run.accelerator))
        if on_step is not None:
            on_step(progress.step, row)
    bar.close()
    if log is not None:
        log.close()
    if own_tracker:
        tracker.finish()
    return _finish(run, config, out, progress, resumed_from=start.step)


def _setup(records: list[Record], config: TrainConfig, accelerator, model, tokenizer, precision: str) -> _Run:
    """The model and tokenizer (loaded from ``config.model`` unless given), the encoded records,
    LoRA, and AdamW on the LoRA weights only with warm-up then decay."""
    import torch
    from accelerate.utils import set_seed
    from transformers import get_scheduler

    from synthdiv.training.loss import TargetNLL

    if model is None:
        from synthdiv.models.registry import load_causal_lm

        model, tokenizer = load_causal_lm(config.model)
    data = encode_records(records, tokenizer, config.max_length, loss_on=config.loss_on)
    # seeded again here: LoRA's initial weights must not depend on what loading the model drew (a first load
    # that builds a cached copy draws, a later one does not), nor on how many processes there are
    set_seed(config.seed)
    model = add_lora(model, config)
    loss_module = TargetNLL(model)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = len(_micro_batches_per_step(length_grouped_batches(data.lengths, config.batch_size, seed=config.seed, epoch=0), config.grad_accum))
    total_steps = config.max_steps or steps_per_epoch * config.epochs
    scheduler = get_scheduler(
        config.scheduler, optimizer, num_warmup_steps=round(config.warmup_ratio * total_steps), num_training_steps=total_steps
    )
    loss_module.to(accelerator.device)
    if accelerator.num_processes > 1:
        _broadcast_from_main(params)  # every process starts from the main one's LoRA weights
    optimizer = accelerator.prepare(optimizer)
    return _Run(
        accelerator=accelerator, model=model, tokenizer=tokenizer, data=data, loss_module=loss_module, params=params,
        optimizer=optimizer, scheduler=scheduler, total_steps=total_steps, n_epochs=math.ceil(total_steps / steps_per_epoch),
        fingerprint=run_fingerprint(config, data, accelerator.num_processes),
        pad_multiple=8 if accelerator.device.type == "cuda" else None,  # tensor-core friendly shapes
        precision=precision,
    )  # fmt: skip


def _steps(run: _Run, config: TrainConfig, start: Position):
    """(epoch, micro-batches, (epoch, step in epoch) of the next step) of each optimizer step from
    ``start`` on. An epoch's batches follow from (seed, epoch) alone, so a resumed run finds its place."""
    for epoch in range(start.epoch, run.n_epochs):
        batches = length_grouped_batches(run.data.lengths, config.batch_size, seed=config.seed, epoch=epoch)
        groups = _micro_batches_per_step(batches, config.grad_accum)
        for k in range(start.step_in_epoch if epoch == start.epoch else 0, len(groups)):
            yield epoch, groups[k], (epoch, k + 1) if k + 1 < len(groups) else (epoch + 1, 0)


def _optimizer_step(run: _Run, config: TrainConfig, group: list[list[int]]) -> tuple[float, int, int]:
    """One optimizer step on a group of micro-batches, this process taking its share of their records:
    (loss per target token of the step, target tokens of the step, real tokens of the step)."""
    import torch

    accelerator, examples = run.accelerator, run.data.examples
    # normalise by the target tokens of the whole step, over every process: the summed gradients are then the step's token mean
    n_target = sum(examples[i].n_target for b in group for i in b)
    step_sums = torch.zeros(2, dtype=torch.float64, device=accelerator.device)  # summed NLL, real tokens
    for idx in _share(group, accelerator.process_index, accelerator.num_processes):
        batch = {k: v.to(accelerator.device) for k, v in collate([examples[i] for i in idx], run.tokenizer.pad_token_id, run.pad_multiple).items()}
        # bf16 matrix products over fp32 weights; TargetNLL returns fp32 losses, so the sum and the division are fp32
        with torch.autocast(accelerator.device.type, dtype=torch.bfloat16, enabled=run.precision == "bf16"):
            per_sample, _ = run.loss_module(**batch)
        accelerator.backward(per_sample.sum() / n_target)
        step_sums[0] += per_sample.detach().sum().double()
        step_sums[1] += batch["attention_mask"].sum()
    if accelerator.num_processes > 1:
        _sum_gradients(accelerator, run.params)
        step_sums = accelerator.reduce(step_sums, reduction="sum")
    if config.max_grad_norm:
        accelerator.clip_grad_norm_(run.params, config.max_grad_norm)
    run.optimizer.step()
    run.scheduler.step()
    run.optimizer.zero_grad(set_to_none=True)
    return float(step_sums[0]) / n_target, n_target, int(step_sums[1])


def _sum_gradients(accelerator, params: list) -> None:
    """Sum the LoRA gradients of every process in one all-reduce (a few MB at most: LoRA is small).
    A process with no records in the step sends zeros."""
    import torch

    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    flat = accelerator.reduce(torch.cat([g.reshape(-1) for g in grads]), reduction="sum")
    offset = 0
    for p, g in zip(params, grads, strict=True):
        p.grad = flat[offset : offset + g.numel()].view_as(p).to(g.dtype)
        offset += g.numel()


def _broadcast_from_main(params: list) -> None:
    import torch.distributed as dist

    for p in params:
        dist.broadcast(p.data, src=0)


def _rng_by_rank(accelerator) -> list[dict] | None:
    """Every process's random-number states, in rank order (a checkpoint keeps each one's dropout stream)."""
    from synthdiv.training.checkpoints import rng_state

    if accelerator.num_processes == 1:
        return None
    from accelerate.utils import gather_object

    return gather_object([rng_state()])


def _report_step(row: dict, log, tracker, bar) -> None:
    """A step's row to train_log.csv and TensorBoard (main process), the trackers and the progress bar."""
    if log is not None:
        log.log(row)
    tracker.log_metrics(row["step"], {"train/loss": row["loss"], "train/lr": row["lr"], "train/tokens_per_s": row["tokens_per_s"]})
    bar.set_postfix(loss=f"{row['loss']:.4f}", tok_s=f"{row['tokens_per_s']:.0f}", refresh=False)
    bar.update(1)


def _finish(run: _Run, config: TrainConfig, out: Path, progress: _Progress, resumed_from: int) -> TrainResult:
    """The run's numbers, with the adapter and train_config.json saved by the main process."""
    from synthdiv.training.runlog import epoch_losses

    elapsed = time.perf_counter() - progress.t0
    data = run.data
    peft_model = run.loss_module.model
    result = TrainResult(
        out=out, steps=progress.step, epochs=run.n_epochs, first_loss=progress.first_loss, final_loss=progress.final_loss,
        records=len(data), target_tokens=data.target_tokens, truncated_records=data.truncated_records,
        tokens_per_s=progress.tokens_seen / elapsed if elapsed > 0 else 0.0, elapsed_s=elapsed, resumed_from=resumed_from,
        precision=run.precision,
        epoch_losses=epoch_losses(log_path) if (log_path := out / "train_log.csv").is_file() else [],
        model=peft_model, tokenizer=run.tokenizer,
    )  # fmt: skip
    run.accelerator.wait_for_everyone()
    if run.accelerator.is_main_process:
        save_adapter(peft_model, run.tokenizer, config, out, result.summary() | {"truncated_tokens": data.truncated_tokens})
    return result
