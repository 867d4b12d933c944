"""The gzip compression ratio is the ``diversity`` package's (Shaib et al.), byte for byte."""

from __future__ import annotations

import gzip
import json
import random
import struct
import zlib

import pytest

from synthdiv.cli.main import main
from synthdiv.metrics.compression import gzip_compression_ratio
from synthdiv.metrics.panel import diversity_report

TEXTS = ["The cat sat on the mat.", "A dog, a café — naïve!", "the cat sat on the mat again"] * 5


def _long_texts(n=1500, seed=0):  # about 180 KB: far beyond gzip's 32 KB window
    rng = random.Random(seed)
    return [" ".join(f"w{rng.randrange(5000)}" for _ in range(20)) for _ in range(n)]


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def _member(data: bytes, name: bytes = b"") -> bytes:
    """One gzip member as RFC 1952 lays it out: Python writes mtime, xfl 2 (level 9), OS 255."""
    flags = 0x08 if name else 0
    header = struct.pack("<BBBBLBB", 0x1F, 0x8B, 8, flags, 0, 2, 255) + (name + b"\0" if name else b"")
    return header + _deflate(data) + struct.pack("<II", zlib.crc32(data), len(data))


def test_the_bytes_are_two_gzip_members_the_outer_named_compressed():
    # The package: " ".join(texts) -> gzip.compress -> written into GzipFile("compressed.gz").
    data = " ".join(TEXTS).encode("utf-8")
    expected = len(_member(_member(data), b"compressed"))
    res = gzip_compression_ratio(TEXTS)
    assert res.original_bytes == len(data) == 399
    assert res.compressed_bytes == expected
    assert res.compression_ratio == len(data) / expected
    assert (res.level, res.window_log) == (9, 15) and res.compressor.startswith("gzip")
    assert gzip.decompress(gzip.decompress(_member(_member(data), b"compressed"))) == data


@pytest.mark.parametrize("texts", [TEXTS, _long_texts(), ["x"], ["ab ab ab", "", "ab"]])
def test_equals_the_diversity_package(texts, monkeypatch, reference_module_file):
    package_ratio = reference_module_file("diversity", "compression.py").compression_ratio
    monkeypatch.setattr(gzip.time, "time", lambda: 0.0)  # the package stamps the time; ours stamps 0
    assert round(gzip_compression_ratio(texts).compression_ratio, 3) == package_ratio(texts)


def test_report_adds_gzip_only_when_asked():
    default = diversity_report(TEXTS)
    assert "compression_ratio_gzip" not in default and default["compression"]["compressor"].startswith("zstd")
    both = diversity_report(TEXTS, compression="both")
    assert both["compression_ratio"] == default["compression_ratio"]
    assert both["compression_ratio_gzip"] == gzip_compression_ratio(TEXTS).compression_ratio
    assert both["compression_gzip"]["compressor"].startswith("gzip")
    only = diversity_report(TEXTS, compression="gzip")
    assert only["compression_ratio"] == both["compression_ratio_gzip"] and "compression_gzip" not in only


def test_cli_compression_option(tmp_path, capsys):
    path = tmp_path / "t.txt"
    path.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    assert main(["diversity", str(path), "--json", "--compression", "both"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["compression_ratio_gzip"] == gzip_compression_ratio(TEXTS).compression_ratio
    assert main(["diversity", str(path), "--compression", "xz"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "--compression" in err[0]
