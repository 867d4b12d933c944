"""``synthdiv models list|prepare``: the offline model registry's names and their local copies."""

from __future__ import annotations

import typer

from synthdiv.errors import UserError

models_app = typer.Typer(help="The offline model registry: list names, build the local copies.", no_args_is_help=True)


@models_app.command("list")
def models_list() -> None:
    """The registry's short names and what they resolve to."""
    from synthdiv.models.registry import CAUSAL_LMS, EMBEDDERS, cache_dir

    for name, pkg in CAUSAL_LMS.items():
        typer.echo(f"{name:<24} causal LM     (package {pkg})")
    for name, pkg in EMBEDDERS.items():
        typer.echo(f"{name:<24} sentence emb. (package {pkg})")
    typer.echo(f"cache folder: {cache_dir()}  (set SYNTHDIV_CACHE to move it)")


@models_app.command("prepare")
def models_prepare(name: str = typer.Argument(..., help="A registry name, e.g. smollm2-135m-instruct.")) -> None:
    """Build the local copy of a registry model now (de-quantise or unpack) and print its folder."""
    from synthdiv.models.registry import CAUSAL_LMS, EMBEDDERS, resolve_causal_lm, resolve_embedder

    if name in CAUSAL_LMS:
        typer.echo(resolve_causal_lm(name))
    elif name in EMBEDDERS:
        typer.echo(resolve_embedder(name))
    else:
        raise UserError(f"{name!r} is not a registry name; see 'synthdiv models list'")


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
