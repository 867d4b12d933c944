"""Old spellings of options, kept working for one release.

A renamed or moved option is not a parameter of its command (so its help never shows it): the
command's arguments are rewritten to the new spelling before they are parsed, with a one-line
notice on stderr for each. ``--n 3`` on ``diversity`` becomes ``--ngram-order 3``; ``--k 4`` on
``generate`` becomes ``--level-option k=4``; a flag with no value (``--constrain``) becomes
``--set constrain=true``.

    @app.command("diversity", cls=old_spellings(Old("--n", "--ngram-order")))
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from synthdiv.cli.helpformat import PlainCommand
from synthdiv.console import say
from synthdiv.deprecation import notice


@dataclass(frozen=True)
class Old:
    """``old`` now reads ``new VALUE``, or ``new key=VALUE`` when ``key`` is given."""

    old: str
    new: str
    key: str | None = None
    flag_value: str | None = None  # a flag without a value: the value it stands for ("true")
    applies: Callable[[str], bool] | None = None  # only where the value passes this test (else the word keeps its new meaning)

    def spelled(self, value: str) -> list[str]:
        return [self.new, value if self.key is None else f"{self.key}={value}"]

    def notice(self, value: str) -> str:
        new = " ".join(self.spelled(value)) if self.key is not None or self.flag_value is not None else self.new
        return notice(self.old, new)


def rewrite(args: list[str], olds: dict[str, Old]) -> list[str]:
    """``args`` with every old spelling replaced by its new one (each said once on stderr)."""
    out: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        if word == "--":
            return out + args[i:]
        name, eq, inline = word.partition("=")
        old = olds.get(name)
        if old is None:
            out.append(word)
            i += 1
            continue
        if old.flag_value is not None or eq:
            value, taken = (old.flag_value if old.flag_value is not None else inline), 1
        elif i + 1 < len(args):
            value, taken = args[i + 1], 2
        else:
            return out + [word]  # no value: the parser says so
        if old.applies is not None and not old.applies(value):
            out.append(word)  # the word's new meaning
            i += 1
            continue
        say(old.notice(value))
        out.extend(old.spelled(value))
        i += taken
    return out


def old_spellings(*olds: Old, set_names: Collection[str] = ()) -> type[PlainCommand]:
    """A command class that accepts ``olds`` (hidden from its help) besides its own options. An unknown
    option that is one of ``set_names`` (``--dtype``) is answered with its spelling: ``--set dtype=VALUE``."""
    table = {o.old: o for o in olds}

    class WithOldSpellings(PlainCommand):
        old_spellings = table

        def parse_args(self, ctx, args: list[str]) -> list[str]:
            try:
                return super().parse_args(ctx, rewrite(list(args), self.old_spellings))
            except Exception as exc:  # click's NoSuchOption: typer 0.26 on has a copy of click, so matched by name
                name = getattr(exc, "option_name", "") or ""
                setting = name.lstrip("-").replace("-", "_")
                if type(exc).__name__ == "NoSuchOption" and setting in set_names:
                    exc.message = f"No such option: {name}; it is a setting: --set {setting}=VALUE"
                raise

    return WithOldSpellings
