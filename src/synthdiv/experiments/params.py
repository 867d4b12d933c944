"""The base of every stage kind's typed, frozen parameters (each kind's class is in its module,
experiments.kinds): built by the graph, hashed from their fields.

A stage's key (:attr:`synthdiv.experiments.graph.Node.key`) hashes :meth:`StageParams.key_fields`:
every field, except

- fields marked ``when_set``: in the key only when they differ from their default, so the
  stages keyed before the setting existed keep their keys (a setting added later is marked so);
- fields marked ``never``: settings a stage reads that cannot change what it writes.

The classes are read-only mappings of their key fields as well, so a test, a results table or
``graph.json`` reads ``params["ratio"]`` the same whichever stage kind it is. Values that are
dicts (column maps, level overrides, backend options) are not copied: treat them as read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any


WHEN_SET = {"key": "when_set"}  # field metadata: in the key only when not the default


class StageParams(Mapping):
    """Base of every stage's parameters (frozen dataclasses)."""

    def key_fields(self) -> dict[str, Any]:
        out = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            rule = f.metadata.get("key", "always")
            if rule == "never" or (rule == "when_set" and value == f.default):
                continue
            out[f.name] = value
        return out

    def __getitem__(self, name: str) -> Any:
        return self.key_fields()[name]

    def __iter__(self):
        return iter(self.key_fields())

    def __len__(self) -> int:
        return len(self.key_fields())
