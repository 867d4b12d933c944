"""Hugging Face `datasets` interop: saved folders and hub ids.

Hub ids work for our users with network access; offline (or with
HF_HUB_OFFLINE=1) an unreachable id is a UserError that says so.
"""

from __future__ import annotations

from typing import Any

from synthdiv.errors import UserError


def _datasets():
    try:
        import datasets
    except ImportError:  # pragma: no cover - depends on the install
        raise UserError("Hugging Face datasets support needs: pip install 'synthdiv[data]'") from None
    return datasets


def load_hf(path_or_id: str, *, split: str | None = None, name: str | None = None):
    """A `datasets.Dataset` from a saved folder or a hub id (``hf:OWNER/NAME`` or ``OWNER/NAME``)."""
    datasets = _datasets()
    from pathlib import Path

    if Path(path_or_id).is_dir():
        obj = datasets.load_from_disk(path_or_id)
    else:
        hub_id = path_or_id.removeprefix("hf:")
        try:
            obj = datasets.load_dataset(hub_id, name, split=split)
        except Exception as exc:  # the datasets library raises many types for "cannot reach"
            raise UserError(
                f"cannot load Hugging Face dataset {hub_id!r} ({type(exc).__name__}: {str(exc).splitlines()[0][:160]}); "
                "check the id and your network, or download it and pass the local folder",
                where=hub_id,
            ) from None
    if isinstance(obj, datasets.DatasetDict):
        if split is None:
            if len(obj) != 1:
                raise UserError(f"dataset has splits {', '.join(obj)}; choose one with --split", where=path_or_id)
            split = next(iter(obj))
        if split not in obj:
            raise UserError(f"dataset has no split {split!r}; it has {', '.join(obj)}", where=path_or_id)
        obj = obj[split]
    return obj


def load_hf_rows(path_or_id: str, *, split: str | None = None) -> list[dict[str, Any]]:
    return list(load_hf(path_or_id, split=split))


def dataset_from_rows(rows: list[dict[str, Any]]) -> Any:
    """A `datasets.Dataset` of flat rows (records_io gives the record columns)."""
    return _datasets().Dataset.from_list(rows)
