"""``synthdiv export``: generated sets as TRL training files, or as a Hugging Face dataset folder
whose card carries the data's diversity and its shift from real data (docs/export.md).

Modules: ``settings`` (formats and defaults), ``sources`` (a record file or a run folder as the
sets to export), ``measure`` (their metrics), ``trl`` (TRL rows), ``hf_folder`` (Parquet shards),
``card``/``panels``/``provenance`` (the dataset card), ``staging`` (output checks, staged
folders), ``hub`` (the upload), ``api`` (the command's Python entry point, :func:`export`).
"""

from __future__ import annotations


def export(*args, **kwargs):
    """See :func:`synthdiv.export.api.export` (imported on call: the package import stays light)."""
    from synthdiv.export.api import export as _export

    return _export(*args, **kwargs)


__all__ = ["export"]
