"""Compression ratio (Shaib et al., 2024, "Standardizing the Measurement of Text
Diversity"): size of the texts divided by their compressed size. Higher means
more redundancy, i.e. less diversity.

Shaib et al. use gzip, whose 32 KB window cannot see a repeat further back than
about 32 KB: two copies of a story 100 KB apart compress as if both were new.
We use zstd with long-distance matching and a window covering the whole input
(up to 2 GB), so corpus-level duplicates count. The compressor, level and window
are recorded in the result, since the ratio depends on them.

For numbers comparable with published ones, :func:`gzip_compression_ratio` computes
the ratio exactly as the ``diversity`` package (Shaib et al.) does.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from synthdiv.metrics.choices import COMPRESSION_CHOICES, DEFAULT_COMPRESSION

# Level 10: on 10 MB of text it took 2.1 s (ratio 4.20) where level 19 took 46 s (ratio 5.33)
# and level 3 took 0.5 s (ratio 3.19). Ratios are comparable only at one level; it is recorded.
DEFAULT_LEVEL = 10
MAX_WINDOW_LOG = 31  # zstd's limit on 64-bit machines (2 GB)
GZIP_LEVEL = 9  # gzip.compress's and GzipFile's default, which the diversity package keeps
GZIP_WINDOW_LOG = 15  # deflate's 32 KB window


@dataclass
class CompressionResult:
    compression_ratio: float | None
    original_bytes: int
    compressed_bytes: int
    compressor: str
    level: int
    window_log: int

    def to_dict(self) -> dict:
        return asdict(self)


def compression_ratio(texts: Sequence[str], level: int = DEFAULT_LEVEL) -> CompressionResult:
    """zstd compression ratio of the texts joined by newlines (the sample separator)."""
    import zstandard

    data = "\n".join(texts).encode("utf-8")
    # A window at least as large as the input (min 1 MB) so every earlier repeat is reachable.
    window_log = min(MAX_WINDOW_LOG, max(20, (len(data) - 1).bit_length()))
    params = zstandard.ZstdCompressionParameters.from_level(
        level, window_log=window_log, enable_ldm=True, source_size=len(data)
    )
    compressed = zstandard.ZstdCompressor(compression_params=params).compress(data)
    ratio = len(data) / len(compressed) if data else None
    return CompressionResult(
        compression_ratio=ratio,
        original_bytes=len(data),
        compressed_bytes=len(compressed),
        compressor="zstd {} (long-distance matching)".format(".".join(map(str, zstandard.ZSTD_VERSION))),
        level=level,
        window_log=window_log,
    )


def gzip_compression_ratio(texts: Sequence[str]) -> CompressionResult:
    """gzip compression ratio exactly as ``diversity.compression_ratio(texts)`` (0.3.1) computes it.

    That function joins the texts with single spaces, writes them to a file in text mode
    (UTF-8 here) and takes its size; then it writes ``gzip.compress(data)`` into a
    ``gzip.GzipFile('compressed.gz', 'w+')``, so the data is gzipped twice and the outer
    header carries the name "compressed": its size is the compressed size. We build the
    same bytes in memory. The package stamps both headers with the current time, which
    can move the outer size by a byte from one second to the next; we stamp 0, so the
    ratio is the package's at time 0 and never changes. The package rounds the ratio to
    3 decimals; we keep all of them.
    """
    data = " ".join(texts).encode("utf-8")
    buffer = io.BytesIO()
    # filename= puts "compressed" in the header, as the package's file name does (11 bytes).
    with gzip.GzipFile(filename="compressed.gz", mode="wb", fileobj=buffer, compresslevel=GZIP_LEVEL, mtime=0) as outer:
        outer.write(gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0))
    compressed = len(buffer.getvalue())
    return CompressionResult(
        compression_ratio=len(data) / compressed if data else None,
        original_bytes=len(data),
        compressed_bytes=compressed,
        compressor="gzip (as the diversity package: space-joined, gzipped twice)",
        level=GZIP_LEVEL,
        window_log=GZIP_WINDOW_LOG,
    )


def compression_ratios(texts: Sequence[str], choice: str = DEFAULT_COMPRESSION) -> list[CompressionResult]:
    """The ratios ``choice`` names, zstd first: [zstd], [gzip] or [zstd, gzip]."""
    if choice not in COMPRESSION_CHOICES:
        raise ValueError(f"compression must be one of {COMPRESSION_CHOICES}")
    results = []
    if choice in ("zstd", "both"):
        results.append(compression_ratio(texts))
    if choice in ("gzip", "both"):
        results.append(gzip_compression_ratio(texts))
    return results


def measure(panel) -> dict:
    """The registry's ``compression``: the first ratio asked for, and the gzip one beside it with ``both``."""
    first, *others = compression_ratios(panel.texts, panel.compression)
    out = {"compression_ratio": first.compression_ratio, "compression": first.to_dict()}
    for extra in others:  # only gzip, after zstd, with compression="both"
        out |= {"compression_ratio_gzip": extra.compression_ratio, "compression_gzip": extra.to_dict()}
    return out
