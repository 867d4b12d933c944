"""The openai backend's preflight: before a sweep sends anything, every server answers ``GET /models``
within the timeout, accepts the key and serves the model. Unreachable (refused, unknown host) and slow
(nothing within the timeout) are told apart, since the fixes differ; each problem is one line naming the
spec's key."""

from __future__ import annotations

import os

from synthdiv.errors import UserError


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
