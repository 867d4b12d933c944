"""Data stage: the one reader of input datasets, loaders for real datasets, record files
in every format, splits, subsampling and the embedded offline corpus."""

from synthdiv.data.api import convert, export_corpus, inspect
from synthdiv.data.inputs import read_input
from synthdiv.data.records_io import read_records, write_records

__all__ = ["convert", "export_corpus", "inspect", "read_input", "read_records", "write_records"]
