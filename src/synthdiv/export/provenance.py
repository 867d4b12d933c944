"""What the records say about how they were made, summarised for the card: the generator,
its sampling settings, the level and its topic-set size, the prompts; and where the real
records came from (the card's ``source_datasets``)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

from synthdiv.generation.strategies import STRATEGIES
from synthdiv.records import Record

# Loader names whose Hub dataset we know for certain; other sources are named in the card body only.
HUB_IDS = {"story_cloze": "LSDSem/story_cloze", "narrativeqa": "deepmind/narrativeqa"}
_PER_RECORD_SAMPLING = ("sample_index",)  # differs per record by design, not a setting


def counted(values) -> list[tuple[Any, int]]:
    """Distinct values (None left out) with their counts, most common first."""
    return Counter(v for v in values if v is not None).most_common()


def _canonical(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


def generation_summary(records: list[Record]) -> dict[str, Any]:
    """Distinct generator settings over the generated records, each with its record count."""
    gen = [r for r in records if r.is_generated]
    prov = [r.provenance for r in gen]
    sampling = [{k: v for k, v in (p.sampling or {}).items() if k not in _PER_RECORD_SAMPLING} or None for p in prov]
    return {
        "generated": len(gen),
        "real": len(records) - len(gen),
        "strategy": counted(p.strategy for p in prov),
        "level": counted(p.level for p in prov),
        "backend": counted(p.backend for p in prov),
        "model": counted(p.model for p in prov),
        "sampling": counted(_canonical(s) for s in sampling),
        "level_params": counted(_canonical(p.extra.get("level_params")) for p in prov),
        "topic_set_size": counted(_topic_set_size(p) for p in prov),
        "topics_used": len({p.topic for p in prov if p.topic}),
        "prompt_hashes": len({p.prompt_hash for p in prov if p.prompt_hash}),
        "with_prompt_hash": sum(1 for p in prov if p.prompt_hash),
        "generation": counted(p.generation for p in prov),
    }


def _topic_set_size(p) -> int | None:
    """|T| as run: the effective size (a pool can fall short of the level's) before the level's."""
    size = p.extra.get("topic_set_size_effective")
    if size is None:
        size = (p.extra.get("level_params") or {}).get("topic_set_size")
    return size


def template_hashes(strategies: list[str]) -> dict[str, str]:
    """sha256 of each built-in template file the strategies use, by file name."""
    out = {}
    folder = resources.files("synthdiv.generation").joinpath("prompts")
    for strategy in strategies:
        for step in STRATEGIES[strategy].templates if strategy in STRATEGIES else ():
            data = folder.joinpath(f"{step}.txt").read_bytes()
            out[f"{step}.txt"] = hashlib.sha256(data).hexdigest()
    return out


def real_sources(records: list[Record]) -> list[tuple[str, int]]:
    """The loader names of the real records (``story_cloze``, ``narrativeqa`` …) with counts."""
    return counted(r.provenance.dataset or "unknown" for r in records if not r.is_generated)


def source_datasets(sources: list[tuple[str, int]]) -> list[str]:
    """The Hub ids of the known sources, for the card's ``source_datasets``; unknown ones left out."""
    return sorted({HUB_IDS[name] for name, _ in sources if name in HUB_IDS})


def origin_names(records: list[Record]) -> list[str]:
    """File names (never full local paths, which would leak a user's folders into a public card)."""
    return sorted({Path(r.provenance.origin).name for r in records if r.provenance.origin and not r.is_generated})
