"""``synthdiv run | validate | demo``: declarative, resumable sweeps (issue 6)."""

from __future__ import annotations

from pathlib import Path

import typer

SET_HELP = "Override a config value, e.g. --set generation.n=50 --set training.models=[gpt2] (repeatable)."


def run(
    config: str = typer.Argument(..., help="A config file, or the name of a shipped config (demo, story-levels …)."),
    set_: list[str] = typer.Option([], "--set", help=SET_HELP),
    out: Path = typer.Option(None, "--out", "-o", help="Run folder (default runs/NAME); a rerun resumes it."),
    store: Path = typer.Option(None, "--store", help="Stage store (default: stages/ beside the run folder, shared by the runs there)."),
    executor: str = typer.Option("local", "--executor", help="local (in this process) or ray (stages as Ray tasks)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and check everything, list the stages, run none."),
    report: bool = typer.Option(False, "--report", help="Write the HTML report when the run finishes."),
) -> None:
    """Run an experiment: generate → measure → mix → train → evaluate, skipping every finished stage."""
    from synthdiv.experiments.runner import run_experiment
    from synthdiv.experiments.spec import load_spec

    spec = load_spec(config, set_)
    result = run_experiment(spec, out, store=store, executor=executor, dry_run=dry_run)
    if dry_run:
        typer.echo(f"{spec.name}: valid; {len(result.graph.nodes)} stages ({result.reused} done). Nothing was run.")
        return
    _echo_tables(result)
    typer.echo(f"tables: {', '.join(str(p) for p in result.tables)}  ({result.seconds:.0f} s, {result.reused} stages reused)")
    if report:
        _report(result.out)


def validate(
    configs: list[str] = typer.Argument(..., help="Config files or shipped config names."),
    set_: list[str] = typer.Option([], "--set", help=SET_HELP),
) -> None:
    """Check configs against the schema and expand their sweeps; loads no data or model."""
    from synthdiv.experiments.graph import build_graph
    from synthdiv.experiments.spec import load_spec

    for config in configs:
        spec = load_spec(config, set_)
        graph = build_graph(spec)
        kinds = ", ".join(f"{sum(n.kind == k for n in graph.nodes)} {k}" for k in ("generate", "mix", "train", "evaluate"))
        loop = f"; {len(graph.loops)} loop steps" if graph.loops else ""
        typer.echo(f"{config}: valid ({spec.name}: {len(graph.nodes)} stages: {kinds}{loop})")


def demo(
    out: Path = typer.Option(Path("runs/demo"), "--out", "-o", help="Run folder; a second run reuses everything there."),
    set_: list[str] = typer.Option([], "--set", help=SET_HELP),
) -> None:
    """Offline, on a CPU: the §4.2 story experiment at small scale (configs/demo.yaml), then the report."""
    from synthdiv.experiments.runner import run_experiment
    from synthdiv.experiments.spec import load_spec

    result = run_experiment(load_spec("demo", set_), out)
    _echo_tables(result)
    typer.echo(f"finished in {result.seconds:.0f} s ({result.reused} of {len(result.graph.nodes)} stages reused)")
    _report(result.out)


def _echo_tables(result) -> None:
    from synthdiv.experiments.runner import format_generations, format_results

    if result.results or not result.generations:
        typer.echo(format_results(result.results))
    if result.generations:
        typer.echo(format_generations(result.generations))


def _report(run_dir: Path) -> None:
    from synthdiv.reports import write_report

    page = write_report(run_dir)
    typer.echo(f"report: {page}")


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("validate")(validate)
    app.command("demo")(demo)
