"""Shared fixtures: the real sample data (skipped when ../shared is absent) and
tiny random-init models built from configs, so no test downloads anything."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from synthdiv.records import Record

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SYNTHDIV_SHARED_DATA", REPO.parent / "shared" / "data"))

# Tests never touch the network; a hub lookup must fail fast instead of hanging.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _shared(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"real sample data {path} is absent (it ships beside the repo in CI, not in a user's clone)")
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return _shared("")


@pytest.fixture(scope="session")
def story_cloze_csv() -> Path:
    return _shared("story_cloze_sample.csv")


@pytest.fixture(scope="session")
def narrativeqa_dir() -> Path:
    return _shared("narrativeqa_sample")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch, request):
    """Unit tests get a private cache folder; integration tests keep the user's
    (so the de-quantised SmolLM2 is built once per machine, not once per test)."""
    if request.node.get_closest_marker("integration") is None:
        monkeypatch.setenv("SYNTHDIV_CACHE", str(tmp_path_factory.mktemp("cache")))


# ----- tiny models ------------------------------------------------------------
TINY_TEXT = [
    "Tom liked to herd cattle. He did it every day. One day a cow went free.",
    "He searched everywhere. He found the cow and brought it back.",
    "The police found some key evidence behind the library.",
    "Question: Who delivers the prologue? Answer: The actor in the black cloak.",
    "She baked a cake for her friend. It was delicious and everyone was happy.",
]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def build_tiny_tokenizer():
    """A byte-level BPE tokenizer trained in memory on a few sentences (about 300 tokens)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<|end|>", "<|pad|>", "<|user|>", "<|assistant|>", "<|system|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(TINY_TEXT * 4, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|end|>", pad_token="<|pad|>")
    fast.chat_template = CHAT_TEMPLATE
    return fast


def build_tiny_model(arch: str, vocab_size: int, seed: int = 0):
    """A random-init causal LM of a few thousand parameters per layer."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    if arch == "gpt2":
        config = GPT2Config(vocab_size=vocab_size, n_positions=256, n_embd=32, n_layer=2, n_head=2)
        return GPT2LMHeadModel(config)
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
    )
    return LlamaForCausalLM(config)


@pytest.fixture(scope="session")
def tiny_tokenizer():
    return build_tiny_tokenizer()


def _tiny(arch: str, tokenizer):
    import torch

    torch.set_num_threads(1)
    model = build_tiny_model(arch, len(tokenizer))
    model.config.pad_token_id = tokenizer.pad_token_id
    model.config.eos_token_id = tokenizer.eos_token_id
    return model, tokenizer


@pytest.fixture
def tiny_gpt2(tiny_tokenizer):
    """(model, tokenizer): a fresh random-init 2-layer GPT-2 each test (tests may train it)."""
    return _tiny("gpt2", tiny_tokenizer)


@pytest.fixture
def tiny_llama(tiny_tokenizer):
    """(model, tokenizer): a fresh random-init 2-layer Llama each test."""
    return _tiny("llama", tiny_tokenizer)


@pytest.fixture
def tiny_model_dir(tmp_path, tiny_llama):
    """A saved tiny Llama folder, for code paths that load a model by name or path."""
    model, tokenizer = tiny_llama
    folder = tmp_path / "tiny-llama"
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


# ----- small story records (training and evaluation tests) -------------------

STORY_CONTEXTS = [
    "Tom liked to herd cattle. He did it every day. One day a cow went free. He searched everywhere.",
    "She baked a cake for her friend.",
    "The police found some key evidence behind the library. They were stuck on where to go next.",
    "He searched everywhere. One day a cow went free. Tom liked to herd cattle.",
]
STORY_TARGETS = ["He found the cow and brought it back.", "It was delicious and everyone was happy.", "The police found the cow."]


def make_story_records(n: int, source: str = "real") -> list[Record]:
    return [
        Record(
            id=f"s{i}",
            task="story_completion",
            context=" ".join([STORY_CONTEXTS[i % len(STORY_CONTEXTS)]] * (1 + i % 2)),
            target=STORY_TARGETS[i % len(STORY_TARGETS)],
            source=source,
        )
        for i in range(n)
    ]


@pytest.fixture
def story_records():
    return make_story_records(24)


@pytest.fixture
def records_of():
    """make_story_records as a fixture: records_of(n) gives n story records."""
    return make_story_records


# ----- a local HTTP server (backend and generation tests) ---------------------
@pytest.fixture
def server():
    """A threaded pytest-httpserver on 127.0.0.1, for OpenAI-compatible backend tests."""
    from pytest_httpserver import HTTPServer

    srv = HTTPServer(threaded=True)
    srv.start()
    yield srv
    srv.clear()
    if srv.is_running():
        srv.stop()


# ----- a small experiment that runs in seconds: dummy backend, tiny saved Llama, no embedder ----
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


@pytest.fixture
def loop_spec(tiny_spec, tiny_model_dir):
    """loop_spec(**loop) → a config of the tiny experiment as a recursive-training loop (2 generations)."""

    def write(**loop):
        return tiny_spec(generation={"backend": "dummy", "model": "dummy", "levels": []}, mixing={"ratios": [0.0]},
                         loop={"count": 2, "n": 6, "level": "D3", "model": str(tiny_model_dir), **loop},
                         training={"models": []})

    return write
