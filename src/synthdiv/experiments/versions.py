"""Stage-key versions: the one table of deliberate key changes.

A stage's key hashes its kind, its version, its parameters' key fields and its inputs' keys
(:attr:`synthdiv.experiments.graph.Node.key`). Bump a kind's version, and add a line to its
history, when its code changes what it writes for the same parameters: its old outputs (and
everything computed from them) are then not reused. A new setting does not need a bump: mark its
field ``when_set`` (experiments.params) so the stages keyed before it existed keep their keys.
"""

from __future__ import annotations

STAGE_HISTORY: dict[str, list[tuple[int, str]]] = {
    "topics": [(1, "a generated topic pool as its own stage (topic_tree.PoolRecipe, near-duplicates removed by embedding); "
                   "the generate stages that draw from it read it as a dependency, so their keys changed with it")],
    "real": [(1, "the first keyed version")],
    "generate": [(1, "the first keyed version; overdraw, pool_growth, min_topic_adherence, constrain and generation "
                     "joined the key only when set")],
    "select": [(1, "the first keyed version")],
    "measure": [(1, "the first keyed version")],
    "mix": [(1, "the first keyed version")],
    "loop_set": [(1, "a recursive-training loop's training set, split from 'mix' in code: keyed and stored as mix (STORED_AS)")],
    "train": [(1, "the first keyed version; loss_on joined the key only when not 'target'")],
    "evaluate": [(1, "the first keyed version")],
}

# A kind split from another in code but not in what it writes keeps the old kind's keys and folders,
# so the outputs stored before the split stay reusable.
STORED_AS: dict[str, str] = {"loop_set": "mix"}

# a kind stored as another (STORED_AS) is keyed with that kind's version; its history says why it exists
STAGE_VERSIONS: dict[str, int] = {kind: history[-1][0] for kind, history in STAGE_HISTORY.items() if kind not in STORED_AS}


def stored_kind(kind: str) -> str:
    """The kind a stage is keyed and stored under (``STORE/KIND/KEY``)."""
    return STORED_AS.get(kind, kind)


def key_version(kind: str) -> int:
    return STAGE_VERSIONS[stored_kind(kind)]
