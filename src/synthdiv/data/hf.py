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

    from synthdiv.data.records_io import detect_format

    kind = detect_format(path_or_id)
    if kind == "hf_disk":
        obj = datasets.load_from_disk(path_or_id)
    elif kind == "hf_folder":  # data files with a card (the Hub's layout, synthdiv export --format hf): read locally
        obj = _load_folder(datasets, path_or_id, name, split)
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


def _load_folder(datasets, folder: str, name: str | None, split: str | None):
    """A folder of data files, prepared in a private cache and held in memory: ``datasets`` keys its cache of a
    folder with a card by the card's relative data-file patterns, so two exported folders of the same layout
    would share one cache entry and the second would read the first one's rows."""
    import tempfile
    from pathlib import Path

    bars = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()  # preparing a local folder takes moments; its "Generating split" bar is noise
    with tempfile.TemporaryDirectory(prefix="synthdiv-hf-") as cache:
        try:
            return datasets.load_dataset(str(Path(folder).resolve()), name, split=split, cache_dir=cache, keep_in_memory=True)
        except ValueError as exc:  # an unknown config or split, named by the library
            raise UserError(f"{str(exc).splitlines()[0][:200]}; choose it with --subset / --split", where=folder) from None
        finally:
            if bars:
                datasets.enable_progress_bars()


def load_hf_rows(path_or_id: str, *, split: str | None = None, name: str | None = None) -> list[dict[str, Any]]:
    return list(load_hf(path_or_id, split=split, name=name))


def dataset_from_rows(rows: list[dict[str, Any]]) -> Any:
    """A `datasets.Dataset` of flat rows (records_io gives the record columns)."""
    return _datasets().Dataset.from_list(rows)
