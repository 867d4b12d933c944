"""``synthdiv train`` and ``synthdiv evaluate``.

Thin wrappers: parse options, read records, call :mod:`synthdiv.training`
and :mod:`synthdiv.evaluation`, print a summary.
torch, transformers and peft are imported inside the commands only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from synthdiv.cli.inputs import COLUMN, DATA_HELP, SPLIT, SUBSET, read_options
from synthdiv.errors import UserError
from synthdiv.training.config import TrainConfig  # light: the defaults of the train options


def train_cmd(
    train_file: str = typer.Option(..., "--train", help="Training data. " + DATA_HELP),
    model: str = typer.Option(..., "--model", help="Registry name (smollm2-135m-instruct), hub id or local model folder."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder: adapter, train_config.json, train_log.csv, tensorboard/, checkpoints/."),
    epochs: int = typer.Option(TrainConfig.epochs, "--epochs", help="Epochs (paper: 3)."),
    lora_r: int = typer.Option(TrainConfig.lora_r, "--lora-r", help="LoRA rank (paper: 8)."),
    lora_alpha: int = typer.Option(TrainConfig.lora_alpha, "--lora-alpha", help="LoRA alpha (paper: 16)."),
    lora_dropout: float = typer.Option(TrainConfig.lora_dropout, "--lora-dropout", help="LoRA dropout."),
    lr: float = typer.Option(TrainConfig.lr, "--lr", help="Peak learning rate (paper: 1e-4)."),
    weight_decay: float = typer.Option(TrainConfig.weight_decay, "--weight-decay", help="AdamW weight decay (paper: 1e-4)."),
    batch_size: int = typer.Option(TrainConfig.batch_size, "--batch-size", help="Records per micro-batch (per device)."),
    grad_accum: int = typer.Option(TrainConfig.grad_accum, "--grad-accum", help="Micro-batches per optimizer step."),
    max_length: int = typer.Option(TrainConfig.max_length, "--max-length", help="Max tokens per record; longer prompts are cut from the left."),
    warmup_ratio: float = typer.Option(TrainConfig.warmup_ratio, "--warmup-ratio", help="Share of steps with linear warm-up."),
    scheduler: str = typer.Option(TrainConfig.scheduler, "--scheduler", help="linear | cosine | constant | constant_with_warmup."),
    target_modules: Optional[str] = typer.Option(
        None, "--target-modules", metavar="NAME[,NAME]", help="Comma-separated LoRA targets, e.g. q_proj,v_proj (default: per architecture)."),
    seed: int = typer.Option(TrainConfig.seed, "--seed", help="Seed of the LoRA initialisation, the shuffling and dropout."),
    max_steps: Optional[int] = typer.Option(TrainConfig.max_steps, "--max-steps", help="Stop after this many optimizer steps."),
    loss_on: str = typer.Option(TrainConfig.loss_on, "--loss-on", help="target (the completion only; the paper) | text (the whole record)."),
    checkpoint_every: int = typer.Option(TrainConfig.checkpoint_every, "--checkpoint-every", help="Optimizer steps between checkpoints (0: none)."),
    precision: str = typer.Option(TrainConfig.precision, "--precision", help="auto (bf16 on a capable GPU, else fp32) | bf16 | fp32."),
    test: Optional[str] = typer.Option(None, "--test", help="Also report the test loss on these records, before and after."),
    eval_batch_size: int = typer.Option(8, "--eval-batch-size", help="Records per batch of the --test evaluation; changes the speed, not the loss."),
    merge: bool = typer.Option(False, "--merge", help="Also save the merged weights to OUT/merged."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Ignore checkpoints in OUT and start over (default: resume)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars on stderr: the training steps and the --test evaluation."),
    report_to: list[str] = typer.Option(
        [], "--report-to", help="Experiment trackers: tensorboard, mlflow, wandb (comma list or repeated); runs under OUT/tracking."),
    split: Optional[str] = SPLIT,
    subset: Optional[str] = SUBSET,
    column: list[str] = COLUMN,
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Fine-tune a causal LM with LoRA on records (loss on the target tokens, or the whole record); resumes after a kill."""
    from synthdiv.paths import check_io
    from synthdiv.training import TrainConfig

    check_io(inputs={"--train": train_file, "--test": test, "--model": model},
             folders={"--out": out, "--merge": out / "merged" if merge else None})  # OUT/merged may be the --model

    config = TrainConfig(
        model=model, epochs=epochs, lr=lr, weight_decay=weight_decay, lora_r=lora_r, lora_alpha=lora_alpha,
        lora_dropout=lora_dropout, batch_size=batch_size, grad_accum=grad_accum, max_length=max_length,
        warmup_ratio=warmup_ratio, scheduler=scheduler, seed=seed, max_steps=max_steps, loss_on=loss_on,
        target_modules=[t.strip() for t in target_modules.split(",") if t.strip()] if target_modules else None,
        checkpoint_every=checkpoint_every, precision=precision, progress=progress, report_to=report_to,
    )  # fmt: skip
    from synthdiv.evaluation.loading import is_adapter_folder

    if is_adapter_folder(model):
        raise UserError(
            "this is a LoRA adapter folder; train from a base model, or from the merged weights of an earlier run (OUT/merged, written by train --merge)",
            where=model,
        )
    from synthdiv.data import read_input

    reading = read_options(split, subset, column)
    records = read_input(train_file, **reading)
    test_records = read_input(test, **reading) if test else None  # read before training: a bad file fails fast
    from synthdiv.training.recipe import train
    from synthdiv.training.saving import save_merged
    from synthdiv.training.tracking import make_tracker, tracked, train_params

    tracker = make_tracker(config.report_to, out / "tracking")  # before training: a missing package fails now
    with tracked(tracker, out.resolve().name, train_params(config)):
        result = train(records, config, out, resume=not overwrite, tracker=tracker)
        summary = {"train": result.summary()}
        if test_records is not None:
            summary["test"], per_sample = _test_losses(result, test_records, test, eval_batch_size, max_length, progress)
            tracker.log_metrics(result.steps, _eval_metrics(summary["test"], per_sample))
            tracker.log_artifact(out / "eval.json")
        tracker.log_artifact(out / "train_log.csv")
    if merge:
        summary["merged"] = str(save_merged(result.model, result.tokenizer, out))
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    r = result
    resumed = f", resumed from step {r.resumed_from}" if r.resumed_from else ""
    typer.echo(
        f"trained {r.steps} steps on {r.records} records ({r.truncated_records} prompts truncated){resumed}: "
        f"{_loss_line(r)}, {r.tokens_per_s:.0f} tokens/s; adapter in {out}"
    )
    if "test" in summary:
        t = summary["test"]
        typer.echo(f"test loss on {t['samples']} records ({t['tokens']} tokens): base {t['base_test_loss']:.4f} -> fine-tuned {t['test_loss']:.4f}")


def _loss_with_interval(result) -> str:
    """'3.1950 [3.0203, 3.3762]': the test loss and its 95 % bootstrap interval over the test records."""
    from synthdiv.evaluation.formatting import format_interval
    from synthdiv.evaluation.uncertainty import loss_interval

    rows = result.per_sample
    if len(rows) < 2:
        return f"{result.test_loss:.4f} (one record: no interval)"
    ci = loss_interval([r["nll"] for r in rows], [r["tokens"] for r in rows])
    return format_interval(result.test_loss, ci.ci_low, ci.ci_high)


def evaluate_cmd(
    model: str = typer.Option(..., "--model", help="Adapter folder from 'synthdiv train', registry name, hub id or model folder."),
    test: str = typer.Option(..., "--test", help="Test data. " + DATA_HELP),
    batch_size: int = typer.Option(8, "--batch-size", help="Does not change the result, only the speed."),
    max_length: Optional[int] = typer.Option(None, "--max-length", help="Default: the adapter's training max length, else 512."),
    base: bool = typer.Option(True, "--base/--no-base", help="For an adapter, also report the base model's loss."),
    per_sample: Optional[Path] = typer.Option(None, "--per-sample", help="Write per-record losses to this JSONL file."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON (keys: test_loss, tokens, samples, ...)."),
    progress: Optional[bool] = typer.Option(
        None, "--progress/--no-progress", help="Show a progress bar on stderr (default: when stderr is a terminal)."),
    split: Optional[str] = SPLIT,
    subset: Optional[str] = SUBSET,
    column: list[str] = COLUMN,
) -> None:
    """Test loss: summed NLL of all target tokens / their number (independent of batch size)."""
    from synthdiv.paths import check_io

    if batch_size < 1:
        raise UserError(f"--batch-size must be at least 1 (got {batch_size})", where="--batch-size")
    if max_length is not None and max_length < 2:
        raise UserError(f"must be at least 2 (got {max_length})", where="--max-length")
    check_io(inputs={"--model": model, "--test": test}, outputs={"--per-sample": per_sample})
    from synthdiv.data import read_input

    records = read_input(test, **read_options(split, subset, column))
    from synthdiv.evaluation.test_loss import evaluate_model

    show = sys.stderr.isatty() if progress is None else progress
    result, base_loss, info = evaluate_model(model, records, batch_size=batch_size, max_length=max_length, base=base, progress=show)
    length = result.max_length
    report = {"model": model, **info, "test": test, **result.to_dict()}
    if base_loss is not None:
        report["base_test_loss"] = base_loss
    if per_sample is not None:
        from synthdiv.fileio import atomic_write

        with atomic_write(per_sample) as fh:
            for row in result.per_sample:
                fh.write(json.dumps(row) + "\n")
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    line = (f"test loss {_loss_with_interval(result)} nats/token ({result.loss_per_char:.4f} per char) "
            f"on {result.samples} records, {result.tokens} target tokens")
    if "base_test_loss" in report:
        line += f"; base model {report['base_test_loss']:.4f}"
    if result.truncated_records:
        line += f"; {result.truncated_records} prompts truncated at {length} tokens"
    typer.echo(line)
    sys.stdout.flush()


def _test_losses(result, records, test: str, batch_size: int, max_length: int, progress: bool = False) -> tuple[dict, list[dict]]:
    """Base and fine-tuned test loss on ``records`` (written to OUT/eval.json) and the per-record losses."""
    from synthdiv.evaluation.test_loss import evaluate, evaluate_base
    from synthdiv.fileio import atomic_write

    kw = {"batch_size": batch_size, "max_length": max_length, "progress": progress}  # a bar each: minutes on a CPU
    before = evaluate_base(result.model, result.tokenizer, records, desc="test loss, base model", **kw)
    after = evaluate(result.model, result.tokenizer, records, desc="test loss, fine-tuned", **kw)
    losses = {"file": test, "base_test_loss": before.test_loss, **after.to_dict()}
    with atomic_write(result.out / "eval.json") as fh:
        json.dump(losses, fh, indent=2)
    return losses, after.per_sample


def _eval_metrics(losses: dict, rows: list[dict]) -> dict[str, float]:
    """The test losses for the trackers, the fine-tuned one with its 95 % interval (test records resampled)."""
    from synthdiv.evaluation.uncertainty import loss_interval

    ci = loss_interval([r["nll"] for r in rows], [r["tokens"] for r in rows])
    return {"eval/test_loss": losses["test_loss"], "eval/test_loss_ci_low": ci.ci_low, "eval/test_loss_ci_high": ci.ci_high,
            "eval/base_test_loss": losses["base_test_loss"]}


def _loss_line(r) -> str:
    """Mean training loss of the first and last epoch (token-weighted); two single batches would
    mostly show which records those batches held."""
    losses = r.epoch_losses
    if len(losses) >= 2:
        return f"mean training loss {losses[0]:.4f} in epoch 1 -> {losses[-1]:.4f} in epoch {len(losses)}"
    if losses:
        return f"mean training loss {losses[0]:.4f} (one epoch)"
    return f"loss {r.first_loss:.4f} (first step) -> {r.final_loss:.4f} (last step)"


def register(app: typer.Typer) -> None:
    app.command("train")(train_cmd)
    app.command("evaluate")(evaluate_cmd)
