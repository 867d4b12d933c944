"""A strategy added as docs/architecture.md says ("Adding a generation strategy"): its level preset,
its prompt, its parse and its run, in one module; tests/generation/test_new_strategy.py registers it.

Retelling: each generated story retells ``k`` real seed stories at once; the level sets ``k``."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

from synthdiv.generation.engine import Engine, fill_slots, stable_id
from synthdiv.generation.levels import level_name
from synthdiv.generation.parse import parse_story
from synthdiv.generation.prompts import story_text
from synthdiv.records import Provenance, Record


@dataclass(frozen=True)
class RetellLevel:
    name: str
    k: int

    def to_dict(self) -> dict:
        return asdict(self)


def retell_level(name: str, **overrides) -> RetellLevel:
    name = level_name(name)
    return RetellLevel(name, overrides.get("k") or 1 + int(name[1]))


def run_retell(engine: Engine, cfg, level: RetellLevel, real: list[Record], write_pool: bool = True) -> list[Record]:
    def seeds(j: int) -> list[Record]:
        return random.Random(f"{cfg.seed}:retell:{j}").sample(real, level.k)

    def make_prompt(_g, j: int):
        stories = "\n".join(story_text(s) for s in seeds(j))
        return [{"role": "system", "content": "You retell stories."},
                {"role": "user", "content": f"Retell these as one five-sentence story about 40 words:\n{stories}"}]

    accepted = fill_slots(engine, "retell", {"stories": cfg.n}, make_prompt, lambda _g, _j, text: parse_story(text, 40),
                          max_attempts=cfg.max_attempts, overdraw=cfg.overdraw)
    records = []
    for acc in accepted["stories"]:
        context, target = acc.value
        records.append(Record(
            id=stable_id("gen", acc.prompt_hash, acc.sample), task="story_completion", context=context, target=target,
            source="generated",
            provenance=Provenance(dataset="generated", strategy="retell", level=level.name,
                                  seed_ids=[s.id for s in seeds(acc.slot[1])], backend=engine.backend.name,
                                  model=engine.backend.model, prompt_hash=acc.prompt_hash,
                                  sampling={**engine.params_dict, "sample_index": acc.sample},
                                  extra={"level_params": level.to_dict()}),
        ))
    return records
