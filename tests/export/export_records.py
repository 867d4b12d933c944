"""Small record builders of the export tests (a generated story set, real stories, QA)."""

from __future__ import annotations

from synthdiv.records import Provenance, Record

STORY_CONTEXTS = ["Amy went to the park. She saw a dog. The dog ran to her. She gave it a treat.",
                  "Ben baked bread. It smelled good. His sister came home. She asked for a slice.",
                  "The bus was late. Kai waited in the rain. A friend drove by. She offered him a ride."]
STORY_TARGETS = ["The dog followed her home.", "They ate the whole loaf.", "Kai got to work on time."]


def generated_story(i: int, level: str = "D3") -> Record:
    prov = Provenance(dataset="generated", strategy="topic", level=level, topic=f"topic {i % 4}", backend="dummy",
                      model="dummy", prompt_hash=f"{i:064x}", seed_ids=["r0"],
                      sampling={"temperature": 0.7, "top_p": 1.0, "max_tokens": 160, "seed": 0, "sample_index": i},
                      extra={"level_params": {"name": level, "topic_set_size": 100, "k": 3}, "topic_set_size_effective": 100})
    return Record(id=f"gen-{i}", task="story_completion", context=STORY_CONTEXTS[i % 3] + f" Day {i}.",
                  target=STORY_TARGETS[i % 3], source="generated", provenance=prov)


def real_story(i: int) -> Record:
    return Record(id=f"real-{i}", task="story_completion", context=STORY_CONTEXTS[(i + 1) % 3] + f" Week {i}.",
                  target=STORY_TARGETS[(i + 2) % 3], group=f"real-{i}",
                  provenance=Provenance(dataset="story_cloze", origin="/home/someone/private/story_cloze_sample.csv", row=i + 2))


def qa_record(i: int) -> Record:
    return Record(id=f"qa-{i}", task="long_context_qa", context=f"Document {i % 2}. A long summary of a play.",
                  question=f"Who speaks line {i}?", target=f"The actor number {i}.", group=f"doc{i % 2}",
                  source="generated", provenance=Provenance(strategy="paraphrase", level="D2", backend="dummy", model="dummy"))
