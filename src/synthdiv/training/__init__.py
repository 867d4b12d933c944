"""LoRA fine-tuning (paper §4.1): one explicit recipe, see :mod:`synthdiv.training.recipe`.

Nothing heavy is imported here; ``from synthdiv.training import train`` loads
torch, transformers and peft only when the recipe runs.
"""

from synthdiv.training.config import TARGET_MODULES, TrainConfig, default_target_modules

__all__ = ["TARGET_MODULES", "TrainConfig", "default_target_modules", "train"]


def __getattr__(name):
    if name == "train":
        from synthdiv.training.recipe import train

        return train
    raise AttributeError(name)
