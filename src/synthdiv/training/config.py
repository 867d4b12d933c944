"""Training settings: the paper's LoRA defaults and the ones it left out.

Paper (§4.1): LoRA rank 8, alpha 16, learning rate 1e-4, weight decay 1e-4,
3 epochs, the final checkpoint evaluated by test loss. It gives no batch size,
maximum length, warm-up, scheduler or target modules; our defaults for those
are documented in docs/training.md and below.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from synthdiv.errors import UserError

# LoRA on the attention projections, the choice of the LoRA paper (Hu et al. 2021)
# and of PEFT's own defaults. GPT-2's c_proj matches both the attention output and
# the MLP output projection (PEFT matches module-name suffixes).
TARGET_MODULES = {
    "gpt2": ["c_attn", "c_proj"],
    "llama": ["q_proj", "k_proj", "v_proj", "o_proj"],
    "mistral": ["q_proj", "k_proj", "v_proj", "o_proj"],
    "qwen2": ["q_proj", "k_proj", "v_proj", "o_proj"],
    "opt": ["q_proj", "k_proj", "v_proj", "out_proj"],
}
SCHEDULERS = ("linear", "cosine", "constant", "constant_with_warmup")


def default_target_modules(model_type: str) -> list[str] | str:
    """Per-architecture target modules; other architectures get every linear layer."""
    return list(TARGET_MODULES[model_type]) if model_type in TARGET_MODULES else "all-linear"


@dataclass
class TrainConfig:
    """Everything that decides what a training run computes (saved with the adapter)."""

    model: str
    # --- the paper's values
    epochs: int = 3
    lr: float = 1e-4
    weight_decay: float = 1e-4
    lora_r: int = 8
    lora_alpha: int = 16
    # --- our defaults (the paper gives none)
    lora_dropout: float = 0.05  # PEFT examples' value; regularises a tiny adapter on small data
    target_modules: list[str] | None = None  # None: per architecture (TARGET_MODULES)
    batch_size: int = 8  # records per micro-batch (per device)
    grad_accum: int = 1  # micro-batches per optimizer step
    max_length: int = 512  # tokens; stories are ~80, so only long QA contexts are truncated
    warmup_ratio: float = 0.03  # share of optimizer steps with a linear warm-up
    scheduler: str = "linear"  # decay after warm-up (transformers.get_scheduler names)
    max_grad_norm: float = 1.0
    seed: int = 0
    max_steps: int | None = None  # stop early (smoke tests, benchmarks); None: all epochs
    # "target": loss on the target tokens only (the paper's completion task); "text": on the whole
    # record, prompt included, for a student that must also write records (recursive-training loops)
    loss_on: str = "target"
    # --- run mechanics: do not change what is computed
    checkpoint_every: int = 200  # optimizer steps between checkpoints (0: none)
    keep_checkpoints: int = 2
    # auto: bf16 on a GPU that supports it, else fp32 (a bf16 CPU too: synthdiv.training.precision says why);
    # bf16: also on a CPU with AVX512-BF16 or AMX-BF16; fp32. Not a mechanic (it changes the numbers), so it
    # is in computation() and a stage's key, as written, not as resolved
    precision: str = "auto"
    # processes on this machine (one GPU each where there are GPUs; synthdiv.training.launch): they share every
    # micro-batch, so the steps, the global batch and the schedule are one process's, the numbers equal to rounding
    processes: int = 1
    progress: bool = True
    # experiment trackers (tensorboard, mlflow, wandb; synthdiv.training.tracking): they see the run, never change it
    report_to: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    MECHANICS = ("checkpoint_every", "keep_checkpoints", "processes", "progress", "report_to", "extra")

    def __post_init__(self) -> None:
        checks = [
            (self.epochs >= 1, "epochs", "at least 1"),
            (self.lr > 0, "lr", "positive"),
            (self.weight_decay >= 0, "weight_decay", "0 or more"),
            (self.lora_r >= 1, "lora_r", "at least 1"),
            (self.lora_alpha > 0, "lora_alpha", "positive"),
            (0 <= self.lora_dropout < 1, "lora_dropout", "in [0, 1)"),
            (self.batch_size >= 1, "batch_size", "at least 1"),
            (self.grad_accum >= 1, "grad_accum", "at least 1"),
            (self.max_length >= 2, "max_length", "at least 2"),
            (0 <= self.warmup_ratio < 1, "warmup_ratio", "in [0, 1)"),
            (self.max_steps is None or self.max_steps >= 1, "max_steps", "at least 1"),
            (self.checkpoint_every >= 0, "checkpoint_every", "0 or more"),
            (self.keep_checkpoints >= 1, "keep_checkpoints", "at least 1"),
            (self.processes >= 1, "processes", "at least 1"),
            (self.processes <= self.batch_size, "processes",
             f"at most batch_size ({self.batch_size}): the processes share each micro-batch's records; raise batch_size"),
        ]
        for ok, name, what in checks:
            if not ok:
                raise UserError(f"must be {what} (got {getattr(self, name)})", field=name)
        if self.scheduler not in SCHEDULERS:
            raise UserError(f"unknown scheduler {self.scheduler!r}; use one of {', '.join(SCHEDULERS)}", field="scheduler")
        if self.loss_on not in ("target", "text"):
            raise UserError(f"unknown loss_on {self.loss_on!r}; use target (the completion) or text (the whole record)",
                            field="loss_on")
        if self.precision not in ("auto", "bf16", "fp32"):
            raise UserError(f"unknown precision {self.precision!r}; use auto, bf16 or fp32", field="precision")
        from synthdiv.training.tracking import parse_report_to

        self.report_to = parse_report_to(self.report_to, field="report_to")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def computation(self) -> dict:
        """The settings that change the numbers; a resumed run must match them exactly."""
        return {k: v for k, v in self.to_dict().items() if k not in self.MECHANICS}
