"""Entry point of the ``synthdiv`` command.

Stage modules register their commands here. Nothing heavy is imported at
start-up, so ``synthdiv --help`` answers at once; running one command imports
only the command modules up to the one that defines it. A :class:`UserError` is
printed as one line on stderr with exit code 2; a failure to write (full disk,
read-only folder, a file where a folder is needed) is one line naming the path and
the cause. Every exit code is in docs/errors.md.
"""

from __future__ import annotations

import errno
import importlib
import re
import sys

import typer

from synthdiv.cli.helpformat import use_plain_help
from synthdiv.cli.quiet import quiet_libraries
from synthdiv.errors import UserError

_app = typer.Typer(  # ``app`` (below) is this with every command registered
    name="synthdiv",
    help="Generate LLM data at controlled diversity, measure it, mix it with real data, fine-tune and report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Each module defines ``register(app)``. ``synthdiv --help`` lists the commands in this
# order, then the command groups (data, models) in this order. The most used come first:
# running a command registers the modules up to the one that defines it.
COMMAND_MODULES = (
    "synthdiv.cli.metrics",
    "synthdiv.cli.data",
    "synthdiv.cli.models",
    "synthdiv.cli.generate",
    "synthdiv.cli.mix",
    "synthdiv.cli.training",
    "synthdiv.cli.experiments",
    "synthdiv.cli.report",
    "synthdiv.cli.compare",
    "synthdiv.cli.export",
    "synthdiv.cli.select",
    "synthdiv.cli.topics",
    "synthdiv.cli.ladder",
)
_REGISTERED: list[str] = []  # the modules registered on _app so far (part of the app's definition)


def _print_version(value: bool) -> None:
    if value:
        from synthdiv import __version__

        typer.echo(f"synthdiv {__version__}")
        raise typer.Exit()


@_app.callback()
def _options(version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                          help="Print the version and exit.")) -> None:
    """The options of ``synthdiv`` itself, before any command."""


def _registered(until: str | None = None) -> typer.Typer:
    """The app with the command modules registered in order: all of them, or those up to the one
    that defines the command or group ``until`` (running one command then imports 0.1-0.2 s less).
    A module is registered once; a name no module defines registers them all (for click's error)."""
    for name in COMMAND_MODULES:
        if until is not None and until in _names(_app):
            break
        if name not in _REGISTERED:
            importlib.import_module(name).register(_app)
            _REGISTERED.append(name)
    use_plain_help(_app)  # after registration: every command and sub-app, including ones added later
    return _app


def _names(app: typer.Typer) -> set[str]:
    commands = {info.name or typer.main.get_command_name(info.callback.__name__) for info in app.registered_commands}
    return commands | {info.name for info in app.registered_groups}


def _command(argv: list[str]) -> str | None:
    """The command ``argv`` runs, or None for ``synthdiv`` alone, ``--help`` and ``--version``."""
    for arg in argv:
        if arg.startswith("-"):
            return None  # the only options before a command are --help and --version
        return arg
    return None


def __getattr__(name: str):
    if name == "app":  # scripts/cli_docs.py and the tests walk every command
        return _registered()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Exit codes (docs/errors.md). 1 is an internal bug (with its traceback); 3 is a partial
# result (synthdiv.generation.runner.PartialGeneration).
EXIT_USER = UserError.exit_code  # 2: a mistake the user can fix, refused before any work
EXIT_ENVIRONMENT = 4  # the machine refused a write: full disk, quota, read-only, permissions

KEPT = "run the same command again to resume: finished work is kept (cached answers, checkpoints, finished stages)"
ENVIRONMENT_CAUSES = {
    errno.ENOSPC: f"no space left on the device; free space, then {KEPT}",
    errno.EDQUOT: f"disk quota exceeded; free space, then {KEPT}",
    errno.EFBIG: "file too large for this file system; write it to another disk",
    errno.EIO: f"input/output error: the disk failed (or is full); check it, then {KEPT}",
    errno.EROFS: "read-only file system; write somewhere writable (--out, --store, --cache-dir, $SYNTHDIV_CACHE)",
    errno.EACCES: "permission denied; fix its permissions or use another path",
    errno.EPERM: "operation not permitted; fix its permissions or use another path",
}
SHAPE_CAUSES = {
    errno.EISDIR: "is a folder, but a file is needed here; give a file path",
    errno.ENOTDIR: "a file is in the way where a folder is needed; give a folder path",
    errno.EEXIST: "a file is in the way where a folder is needed; give a folder path",
}
_RUST_IO = re.compile(r"Os \{ code: (\d+)")  # how safetensors and tokenizers report an OS error


def _os_failure(exc: BaseException) -> tuple[str | None, int] | None:
    """(path or None, errno) of a write failure we explain in one line, else None (a bug)."""
    import sqlite3

    causes = ENVIRONMENT_CAUSES.keys() | SHAPE_CAUSES.keys()
    if isinstance(exc, OSError) and exc.errno in causes:
        chain = [exc]  # down to the first failure, when a cleanup failed too or the error was re-raised with its path
        while isinstance(deeper := chain[-1].__cause__ or chain[-1].__context__, OSError) and deeper.errno in causes:
            chain.append(deeper)
        path = next((e.filename for e in reversed(chain) if e.filename is not None), None)
        return (None if path is None else str(path)), chain[-1].errno
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc)
        if "disk is full" in text:
            return "a cache database", errno.ENOSPC
        if "readonly" in text or "unable to open" in text:
            return "a cache database", errno.EACCES
    match = _RUST_IO.search(str(exc))
    if match and int(match[1]) in causes:
        return None, int(match[1])
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; user errors become one line on stderr and exit code 2,
    write failures one line naming the path and the cause (exit 4, or 2 for a path of the wrong kind)."""
    try:
        # standalone mode: typer/click print usage errors and --help themselves and exit
        with quiet_libraries():  # library FutureWarnings and HF bars off; warnings above our bars
            app = _registered(_command(sys.argv[1:] if argv is None else argv))
            app(args=argv, prog_name="synthdiv", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:
        failure = _os_failure(exc)
        if failure is None:
            raise  # an internal bug keeps its traceback
        path, code = failure
        cause = ENVIRONMENT_CAUSES.get(code) or SHAPE_CAUSES[code]
        print(f"error: {path + ': ' if path else ''}{cause}", file=sys.stderr)
        return EXIT_ENVIRONMENT if code in ENVIRONMENT_CAUSES else EXIT_USER
    return 0


def run() -> None:  # pragma: no cover - console script shim
    leave(main())


def leave(code: int) -> None:
    """Exit with ``code``. When nothing waits for the interpreter's teardown (no exit hook registered:
    logging, temporary folders and the trackers register theirs; no other thread), skip it: freeing
    every object and module one by one took 0.2-0.3 s after a ``diversity`` on 4M tokens."""
    import atexit
    import os
    import threading

    hooks = getattr(atexit, "_ncallbacks", lambda: 1)()
    if hooks == 0 and threading.active_count() == 1:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):  # a closed pipe or stream: let the usual exit report it
            sys.exit(code)
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    leave(main())
