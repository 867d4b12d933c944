"""Entry point of the ``synthdiv`` command.

Stage modules register their commands here. Nothing heavy is imported at
start-up, so ``synthdiv --help`` answers at once. A :class:`UserError` is
printed as one line on stderr with exit code 2.
"""

from __future__ import annotations

import importlib
import sys

import typer

from synthdiv.errors import UserError

app = typer.Typer(
    name="synthdiv",
    help="Generate LLM data at controlled diversity, measure it, mix it with real data, fine-tune and report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Each module defines ``register(app)``. A module that is not there yet is skipped,
# so stages can land one at a time.
STAGE_MODULES = (
    "synthdiv.cli.data",
    "synthdiv.cli.metrics",
    "synthdiv.cli.generate",
    "synthdiv.cli.training",
    "synthdiv.cli.experiments",
    "synthdiv.cli.report",
)


def _register_all() -> None:
    for name in STAGE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(app)


_register_all()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; user errors become one line on stderr and exit code 2."""
    try:
        # standalone mode: typer/click print usage errors and --help themselves and exit
        app(args=argv, prog_name="synthdiv", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


def run() -> None:  # pragma: no cover - console script shim
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
