"""Upload an exported folder to the Hugging Face Hub as a dataset repo.

The token comes from the environment (``HF_TOKEN``) only. It is handed to the client and
nowhere else: never written, logged or printed, and scrubbed from any error message the
client raises before that message reaches the user.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from synthdiv.errors import UserError
from synthdiv.export.settings import DEFAULTS

TOKEN_ENV = "HF_TOKEN"
_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


def hub_token() -> str:
    """The token from the environment, or a one-line UserError (checked before any work)."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise UserError(f"uploading needs a Hugging Face token in the environment variable {TOKEN_ENV} "
                        "(a write token from your Hub settings)", where="--push-to-hub")
    return token


def check_repo_id(repo_id: str) -> str:
    if not _REPO_ID.match(repo_id):
        raise UserError(f"{repo_id!r} is not a Hub repo id; use OWNER/NAME, e.g. my-user/stories-d3", where="--push-to-hub")
    return repo_id


def scrub(text: str, token: str) -> str:
    return text.replace(token, "***") if token else text


def push_folder(folder: Path, repo_id: str, token: str, *, private: bool = False, timeout: float = DEFAULTS.hub_timeout) -> str:
    """Create the dataset repo if needed and upload ``folder``; returns the repo's URL. Every request
    waits at most ``timeout`` seconds for the Hub (to connect, or between bytes): a Hub that accepts
    and never answers is a one-line error naming it, not a hang."""
    try:
        from huggingface_hub import HfApi
    except ImportError:  # pragma: no cover - depends on the install
        raise UserError("--push-to-hub needs huggingface_hub: pip install 'synthdiv[data]'") from None
    api = HfApi(token=token)
    try:
        with _client_timeout(timeout):
            # private=None lets the Hub apply the account's default visibility; an existing repo keeps its own
            url = api.create_repo(repo_id, repo_type="dataset", private=True if private else None, exist_ok=True)
            api.upload_folder(repo_id=repo_id, folder_path=str(folder), repo_type="dataset",
                              commit_message="Upload dataset exported by synthdiv")
    except Exception as exc:  # the client raises many types for network, auth and permission errors
        if _timed_out(exc):
            raise UserError(f"the Hub at {api.endpoint} answered nothing within {timeout:g} s; check the network (and "
                            f"HF_ENDPOINT), or raise --hub-timeout, then run the same command again; the folder is kept at "
                            f"{folder}", where=repo_id) from None
        message = scrub(str(exc).splitlines()[0][:200] if str(exc) else "", token)
        raise UserError(f"upload failed ({type(exc).__name__}: {message}); the folder is kept at {folder}", where=repo_id) from None
    return str(url)


@contextlib.contextmanager
def _client_timeout(seconds: float):
    """The Hub client with a timeout for the block. huggingface_hub's shared client waits forever
    (``timeout=None``) and its methods take no timeout, so its client factory is swapped for one
    that sets ours, and the library's default is put back afterwards."""
    from huggingface_hub import set_client_factory
    from huggingface_hub.utils._http import default_client_factory

    def with_timeout():
        client = default_client_factory()
        client.timeout = seconds  # connect, read, write and pool: each wait at most this long
        return client

    set_client_factory(with_timeout)
    try:
        yield
    finally:
        set_client_factory(default_client_factory)


def _timed_out(exc: BaseException) -> bool:
    """Whether a client error is (or was caused by) a timeout: the client wraps transport errors."""
    seen = exc
    while seen is not None:
        if isinstance(seen, TimeoutError) or "Timeout" in type(seen).__name__:
            return True
        seen = seen.__cause__ or seen.__context__
    return False
