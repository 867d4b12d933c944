"""What a finished training run leaves in its folder: the adapter with its train_config.json,
and on request the base weights with the adapter merged in."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from synthdiv.fileio import atomic_write
from synthdiv.training.config import TrainConfig

TRAIN_CONFIG = "train_config.json"


def save_adapter(peft_model, tokenizer, config: TrainConfig, out: Path, run: dict) -> None:
    """Save the adapter, the tokenizer and train_config.json (written last: its presence marks a finished run)."""
    tmp = out / ".adapter.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    peft_model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    for item in tmp.iterdir():
        os.replace(item, out / item.name)
    tmp.rmdir()
    lora = peft_model.peft_config["default"].to_dict()
    lora = {k: (sorted(v) if isinstance(v, set) else v) for k, v in lora.items()}
    with atomic_write(out / TRAIN_CONFIG) as fh:
        json.dump({"config": config.to_dict(), "lora": lora, "run": run}, fh, indent=2, default=str)


def save_merged(peft_model, tokenizer, out: Path) -> Path:
    """Save the base weights with the adapter merged in, as a plain model folder ``out/merged``.
    Call it after any evaluation of the adapter: merging changes the model in place."""
    target = out / "merged"
    tmp = out / ".merged.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    merged = peft_model.merge_and_unload()
    merged.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp, target)
    return target
