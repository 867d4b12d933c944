"""Fixtures of the report tests: synthetic run directories (see report_run_factory.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_run_factory import build_run_dir


@pytest.fixture
def run_dir(tmp_path) -> Path:
    """The §4.2 shape: real alone and three levels alone, two models, two seeds."""
    return build_run_dir(tmp_path / "run")


@pytest.fixture
def build_run(tmp_path):
    """build_run(name, **options) writes a run directory under tmp_path."""
    return lambda name="run", **options: build_run_dir(tmp_path / name, **options)
