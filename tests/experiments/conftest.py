"""A small experiment that runs in seconds: the dummy backend, a tiny saved Llama, no embedder."""

import pytest
import yaml


def write_spec(path, **sections):
    spec = {
        "name": "tiny",
        "task": "story_completion",
        "real": {"source": "corpus", "n_train": 8, "n_test": 8},
        "generation": {"backend": "dummy", "model": "dummy", "levels": ["D0", "D3"], "n": 8},
        "metrics": {"embedder": None},
        "mixing": {"ratios": [0.0, 0.5, 1.0]},
        "training": {"models": [], "epochs": 1, "batch_size": 4, "max_length": 256},
    }
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(spec.get(key), dict):
            spec[key] = {**spec[key], **value}
        else:
            spec[key] = value
    path.write_text(yaml.safe_dump(spec))
    return path


@pytest.fixture
def tiny_spec(tmp_path, tiny_model_dir):
    """write(**sections) → a config file for the tiny experiment (sections merge into the defaults)."""

    def write(filename="tiny.yaml", **sections):
        training = {"models": [str(tiny_model_dir)], **sections.pop("training", {})}
        return write_spec(tmp_path / filename, training=training, **sections)

    return write
