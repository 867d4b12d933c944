"""Load the model to evaluate: a registry name, a hub id, a local model folder,
or a LoRA adapter folder written by ``synthdiv train``."""

from __future__ import annotations

import json
from pathlib import Path

from synthdiv.errors import UserError


def is_adapter_folder(path: str) -> bool:
    return Path(path).is_dir() and (Path(path) / "adapter_config.json").exists()


def _base_of_adapter(folder: Path) -> tuple[str, dict]:
    """The base model of an adapter (the name given to ``synthdiv train``) and its training settings.
    A broken adapter_config.json, train_config.json or weights file is a UserError naming it."""
    from synthdiv.backends.base import read_adapter_config

    adapter_cfg = read_adapter_config(str(folder))  # checks the JSON and the safetensors weights too
    cfg_path = folder / "train_config.json"
    if cfg_path.exists():
        try:
            cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
            return cfg["config"]["model"], cfg["config"]
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
            raise UserError("train_config.json is not the JSON `synthdiv train` writes (config.model is missing); "
                            "remove it to use adapter_config.json's base model, or train again", where=str(cfg_path)) from None
    base = adapter_cfg.get("base_model_name_or_path")
    if not base:
        raise UserError("adapter_config.json names no base model; give the adapter's base_model_name_or_path", where=str(folder))
    return base, {}


def load_for_evaluation(name: str) -> tuple[object, object, dict]:
    """(model, tokenizer, info). ``info`` has ``base_model``, ``adapter`` (or None) and the
    adapter's training settings (``train_config``), e.g. its max_length."""
    from synthdiv.models.registry import load_causal_lm

    if not is_adapter_folder(name):
        if Path(name).is_dir() and not (Path(name) / "config.json").exists():
            raise UserError("folder holds neither a model (config.json) nor a LoRA adapter (adapter_config.json)", where=name)
        model, tokenizer = load_causal_lm(name)
        return model, tokenizer, {"base_model": name, "adapter": None, "train_config": {}}
    folder = Path(name)
    base, train_config = _base_of_adapter(folder)  # before the heavy imports: a broken adapter fails at once
    from peft import PeftModel
    from transformers import AutoTokenizer

    model, tokenizer = load_causal_lm(base)
    if (folder / "tokenizer_config.json").exists():
        # the tokenizer saved with the adapter is the one training used
        tokenizer = AutoTokenizer.from_pretrained(str(folder))
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
    model = PeftModel.from_pretrained(model, str(folder))
    return model, tokenizer, {"base_model": base, "adapter": str(folder), "train_config": train_config}
