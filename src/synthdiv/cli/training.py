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

PROCESSES_HELP = ("Processes on this machine, one GPU each where there are GPUs (gloo on a CPU); they share every batch, "
                  "so the result is one process's.")


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
    scheduler: str = typer.Option(TrainConfig.scheduler, "--scheduler", help="Learning-rate schedule: linear | cosine | constant | constant_with_warmup."),
    target_modules: Optional[str] = typer.Option(
        None, "--target-modules", metavar="NAME[,NAME]", help="Comma-separated LoRA targets, e.g. q_proj,v_proj (default: per architecture)."),
    seed: int = typer.Option(TrainConfig.seed, "--seed", help="Seed of the LoRA initialisation, the shuffling and dropout."),
    max_steps: Optional[int] = typer.Option(TrainConfig.max_steps, "--max-steps", help="Stop after this many optimizer steps."),
    loss_on: str = typer.Option(TrainConfig.loss_on, "--loss-on",
                                help="What the loss is on: target (the completion only; the paper) | text (the whole record)."),
    checkpoint_every: int = typer.Option(TrainConfig.checkpoint_every, "--checkpoint-every", help="Optimizer steps between checkpoints (0: none)."),
    precision: str = typer.Option(TrainConfig.precision, "--precision",
                                  help="Precision: auto (bf16 on a capable GPU, else fp32) | bf16 (also on a CPU with AVX512-BF16 or AMX-BF16) | fp32."),
    processes: int = typer.Option(TrainConfig.processes, "--processes", help=PROCESSES_HELP),
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
        checkpoint_every=checkpoint_every, precision=precision, processes=processes, progress=progress, report_to=report_to,
    )  # fmt: skip
    from synthdiv.evaluation.loading import is_adapter_folder

    if is_adapter_folder(model):
        raise UserError(
            "this is a LoRA adapter folder; train from a base model, or from the merged weights of an earlier run (OUT/merged, written by train --merge)",
            where=model,
        )
    reading = read_options(split, subset, column)
    if processes > 1:  # a bad file fails here, in one line, before any process starts (one process reads it first thing)
        from synthdiv.data import read_input

        read_input(train_file, **reading)
        if test:
            read_input(test, **reading)
    from synthdiv.training.jobs import TrainJob
    from synthdiv.training.launch import check_processes, run_in_processes
    from synthdiv.training.tracking import make_tracker

    check_processes(processes)
    make_tracker(config.report_to, out / "tracking")  # a missing tracker package fails now, not in every process
    job = TrainJob(train_file=str(train_file), config=config, out=out, resume=not overwrite, test_file=test,
                   eval_batch_size=eval_batch_size, merge=merge, reading=reading)
    summary = run_in_processes(quiet_train_job, job, processes, what="training", rerun=lambda: _resume_hint(out))
    if summary is None:  # a process other than the main one of a run that accelerate launch or torchrun started
        return
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    r = summary["train"]
    resumed = f", resumed from step {r['resumed_from']}" if r["resumed_from"] else ""
    typer.echo(
        f"trained {r['steps']} steps on {r['records']} records ({r['truncated_records']} prompts truncated){resumed}: "
        f"{_loss_line(r)}, {r['tokens_per_s']:.0f} tokens/s in {r['precision']}; adapter in {out}"
    )
    if "test" in summary:
        t = summary["test"]
        typer.echo(f"test loss on {t['samples']} records ({t['tokens']} tokens): base {t['base_test_loss']:.4f} -> fine-tuned {t['test_loss']:.4f}")



def quiet_train_job(job):
    """The train job as the command runs it, in each process: the libraries' warnings kept off the terminal."""
    from synthdiv.cli.quiet import quiet_libraries
    from synthdiv.training.jobs import train_job

    with quiet_libraries():
        return train_job(job)


def quiet_eval_job(job):
    from synthdiv.cli.quiet import quiet_libraries
    from synthdiv.training.jobs import eval_job

    with quiet_libraries():
        return eval_job(job)


def _resume_hint(out: Path) -> str:
    """What running the same command again does after a process died: resume from the newest checkpoint."""
    from synthdiv.training.checkpoints import FOLDER, list_checkpoints

    found = list_checkpoints(Path(out) / FOLDER)
    if not found:
        return "no checkpoint was written yet: run the same command again to start over (--checkpoint-every sets how often)"
    return f"run the same command again to resume from step {int(found[-1].name.split('-')[1])} ({found[-1]})"


def _loss_with_interval(test_loss: float, rows: list[dict]) -> str:
    """'3.1950 [3.0203, 3.3762]': the test loss and its 95 % bootstrap interval over the test records."""
    from synthdiv.stats.formatting import format_interval
    from synthdiv.stats.uncertainty import loss_interval

    if len(rows) < 2:
        return f"{test_loss:.4f} (one record: no interval)"
    ci = loss_interval([r["nll"] for r in rows], [r["tokens"] for r in rows])
    return format_interval(test_loss, ci.ci_low, ci.ci_high)


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
    processes: int = typer.Option(TrainConfig.processes, "--processes",
                                  help="Processes on this machine, one GPU each where there are GPUs; each scores its share of the records."),
) -> None:
    """Test loss: summed NLL of all target tokens / their number (independent of batch size)."""
    from synthdiv.paths import check_io

    if batch_size < 1:
        raise UserError(f"--batch-size must be at least 1 (got {batch_size})", where="--batch-size")
    if max_length is not None and max_length < 2:
        raise UserError(f"must be at least 2 (got {max_length})", where="--max-length")
    check_io(inputs={"--model": model, "--test": test}, outputs={"--per-sample": per_sample})
    reading = read_options(split, subset, column)
    if processes > 1:  # a bad file fails here, in one line, before any process starts
        from synthdiv.data import read_input

        read_input(test, **reading)
    from synthdiv.training.jobs import EvalJob
    from synthdiv.training.launch import check_processes, run_in_processes

    check_processes(processes)
    show = sys.stderr.isatty() if progress is None else progress
    job = EvalJob(model=model, test_file=test, batch_size=batch_size, max_length=max_length, base=base, per_sample=per_sample,
                  progress=show, reading=reading)
    report = run_in_processes(quiet_eval_job, job, processes, what="evaluation", rerun="run the same command again")
    if report is None:  # a process other than the main one of a run that accelerate launch or torchrun started
        return
    per_record = report.pop("per_sample")
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    line = (f"test loss {_loss_with_interval(report['test_loss'], per_record)} nats/token ({report['loss_per_char']:.4f} per char) "
            f"on {report['samples']} records, {report['tokens']} target tokens")
    if "base_test_loss" in report:
        line += f"; base model {report['base_test_loss']:.4f}"
    if report["truncated_records"]:
        line += f"; {report['truncated_records']} prompts truncated at {report['max_length']} tokens"
    typer.echo(line)
    sys.stdout.flush()


def _loss_line(r: dict) -> str:
    """Mean training loss of the first and last epoch (token-weighted); two single batches would
    mostly show which records those batches held."""
    losses = r["epoch_losses"]
    if len(losses) >= 2:
        return f"mean training loss {losses[0]:.4f} in epoch 1 -> {losses[-1]:.4f} in epoch {len(losses)}"
    if losses:
        return f"mean training loss {losses[0]:.4f} (one epoch)"
    return f"loss {r['first_loss']:.4f} (first step) -> {r['final_loss']:.4f} (last step)"


def register(app: typer.Typer) -> None:
    app.command("train")(train_cmd)
    app.command("evaluate")(evaluate_cmd)
