"""Plain help for every command: click's layout, values named by what they hold, text never cut.

typer's rich help shows Python types (``<bool>``, ``<list[str]>``), writes a required
argument as ``{files}...``, ends a long word at the panel's edge with an ellipsis
(``story_completio…``), and importing rich costs about 50 ms of every ``synthdiv --help``.
Here each command and group formats its own help with click's plain formatter: a value is
named INTEGER, NUMBER, TEXT, PATH or by the metavar its option gives (``FIELD=NAME``), a
default is printed whole, a command's summary in a group listing is its whole first
sentence, and options with a ``rich_help_panel`` are listed under its title.
:func:`use_plain_help` applies this to an app and all its sub-apps once, after the stage
modules registered their commands, so a new command needs nothing to get it.
"""

from __future__ import annotations

import typing
from enum import Enum
from pathlib import PurePath

import typer
from typer.core import TyperCommand, TyperGroup

VALUE_NAMES = {int: "INTEGER", float: "NUMBER", str: "TEXT", bool: "BOOLEAN"}
# The same by the name of a click parameter type: typer's own copy of click names them as the types (int,
# str), click itself integer, text and boolean.
TYPE_NAMES = {**{t.__name__: name for t, name in VALUE_NAMES.items()}, "integer": "INTEGER", "text": "TEXT",
              "boolean": "BOOLEAN", "path": "PATH", "file": "PATH", "filename": "PATH"}
# Inside "[default: …]" spaces and hyphens are glued while click wraps the column, so a default
# never breaks across lines (``[default:`` / ``story_completion]``), then unglued.
_GLUE = str.maketrans({" ": "\xa0", "-": "\u2011"})
_UNGLUE = str.maketrans({"\xa0": " ", "\u2011": "-"})


def value_name(param) -> str:
    """What the help calls an option's value: its metavar, else a plain name for its type."""
    if param.metavar:
        return param.metavar
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None:  # typer before 0.29: a click ParamType
        choices = getattr(param.type, "choices", None)
        if choices:
            return "|".join(str(getattr(c, "value", c)) for c in choices)
        return TYPE_NAMES.get(param.type.name, param.type.name.upper())
    if descriptor.is_choice and descriptor.choices:
        return "|".join(str(getattr(c, "value", c)) for c in descriptor.choices)
    annotation = descriptor.annotation
    if descriptor.is_list:
        annotation = typing.get_args(annotation)[0]
    if descriptor.is_path or (isinstance(annotation, type) and issubclass(annotation, PurePath)):
        return "PATH"
    return VALUE_NAMES.get(annotation, getattr(annotation, "__name__", "VALUE").upper())


def argument_name(param) -> str:
    return param.metavar or param.name.upper()


def default_text(param) -> str | None:
    """The default as the help shows it, or None when there is nothing to show."""
    if param.required or param.show_default is False:
        return None
    if isinstance(param.show_default, str):
        return param.show_default
    value = param.default
    if getattr(param, "is_flag", False):
        if param.secondary_opts and value is not None:
            return (param.opts if value else param.secondary_opts)[0]
        return None  # a plain flag is off unless given
    if value is None or value == [] or value == ():
        return None
    if callable(value):
        return "(computed)"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value.value if isinstance(value, Enum) else value)


def help_record(param) -> tuple[str, str]:
    """(names, help) of one argument or option, as in ``--out, -o PATH   Output file.  [required]``."""
    if param.param_type_name == "argument":
        names = argument_name(param) + ("..." if param.nargs != 1 else "")
    else:
        names = ", ".join(sorted(param.opts, key=lambda o: not o.startswith("--")))  # --out, -o
        if param.secondary_opts:
            names += " / " + ", ".join(param.secondary_opts)
        if not getattr(param, "is_flag", False):
            names += " " + value_name(param)
    extra = []
    default = default_text(param)
    if default is not None:
        extra.append(f"default: {default}")
    if param.required:
        extra.append("required")
    text = " ".join((param.help or "").split())
    if extra:
        glued = f"[{'; '.join(extra)}]".translate(_GLUE)
        text = f"{text}  {glued}" if text else glued
    return names, text


def help_sections(params) -> list[tuple[str, list]]:
    """(title, parameters): the arguments, the options without a panel, then each option panel
    (typer's ``rich_help_panel``) in the order its first option comes."""
    sections: dict[str, list] = {"Arguments": [], "Options": []}
    for p in params:
        title = "Arguments" if p.param_type_name == "argument" else getattr(p, "rich_help_panel", None) or "Options"
        sections.setdefault(title, []).append(p)
    return [(title, group) for title, group in sections.items() if group]


def write_rows(formatter, title: str, rows: list[tuple[str, str]]) -> None:
    """A titled two-column section; glued defaults are unglued once wrapped."""
    start = len(formatter.buffer)
    with formatter.section(title):
        formatter.write_dl(rows)
    formatter.buffer[start:] = [chunk.translate(_UNGLUE) for chunk in formatter.buffer[start:]]


class _PlainHelp:
    """Usage line and option table of a command or group."""

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None and option.default is None:
            # An absent --help is then False, not None: typer coerces a None through its pydantic
            # adapters, so every subcommand (``synthdiv generate --help`` too) imported pydantic.
            option.default = False
        return option

    def collect_usage_pieces(self, ctx) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                piece = argument_name(param) + ("..." if param.nargs != 1 else "")
                pieces.append(piece if param.required else f"[{piece}]")
        return pieces

    def format_options(self, ctx, formatter) -> None:
        params = [p for p in self.get_params(ctx) if not p.hidden]
        for title, group in help_sections(params):
            write_rows(formatter, title, [help_record(p) for p in group])


class PlainCommand(_PlainHelp, TyperCommand):
    pass


class PlainGroup(_PlainHelp, TyperGroup):
    def collect_usage_pieces(self, ctx) -> list[str]:
        return [*super().collect_usage_pieces(ctx), self.subcommand_metavar]

    def format_options(self, ctx, formatter) -> None:
        super().format_options(ctx, formatter)
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=10_000)))  # the whole first sentence
        if rows:
            write_rows(formatter, "Commands", rows)


def use_plain_help(app: typer.Typer) -> None:
    """Give ``app``, its commands and its sub-apps the plain help (and plain usage errors)."""
    app.rich_markup_mode = None
    app.info.cls = PlainGroup
    for info in app.registered_commands:
        if info.cls in (None, TyperCommand):
            info.cls = PlainCommand
    for group in app.registered_groups:
        group.cls = PlainGroup
        use_plain_help(group.typer_instance)
