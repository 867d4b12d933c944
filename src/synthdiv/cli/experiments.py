"""``synthdiv run | validate | demo``: declarative, resumable sweeps."""

from __future__ import annotations

from pathlib import Path

import typer

from synthdiv.experiments.kinds import KINDS

PIPELINE = tuple(KINDS)  # the order validate lists stage kinds in: the registry's
SET_HELP = "Override a config value, e.g. --set generation.n=50 --set training.models=[gpt2] (repeatable)."


def run(
    config: str = typer.Argument(..., help="A config file, or the name of a shipped config (demo, story-levels …)."),
    set_: list[str] = typer.Option([], "--set", metavar="KEY=VALUE", help=SET_HELP),
    out: Path = typer.Option(None, "--out", "-o", help="Run folder (default runs/NAME); a rerun resumes it."),
    store: Path = typer.Option(None, "--store", help="Stage store (default: stages/ beside the run folder, shared by the runs there)."),
    executor: str = typer.Option("local", "--executor", help="Executor: local (in this process) or ray (stages as Ray tasks)."),
    address: str = typer.Option(None, "--address", metavar="ADDR",
                                help="Ray executor: the cluster to run on, e.g. 10.0.0.1:6379 (default: $RAY_ADDRESS, else a Ray instance on this machine)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and check everything, list the stages and the planned requests and cost; run none."),
    report: bool = typer.Option(False, "--report", help="Write the HTML report when the run finishes."),
) -> None:
    """Run an experiment: generate → measure → mix → train → evaluate, skipping every finished stage."""
    from synthdiv.experiments.runner import run_experiment
    from synthdiv.experiments.spec import load_spec

    spec = load_spec(config, set_)
    _check_run(config, spec, out, store, executor)  # a dry run checks all a real run checks
    if address and executor != "ray":
        from synthdiv.errors import UserError

        raise UserError("a cluster address is for the ray executor: add --executor ray", where="--address")
    result = run_experiment(spec, out, store=store, executor=executor, address=address, dry_run=dry_run)
    if dry_run:
        for line in result.plan:  # the generate stages' requests, tokens and cost
            typer.echo(line)
        typer.echo(f"{spec.name}: valid; {len(result.graph.nodes)} stages ({result.reused} done). Nothing was run.")
        return
    _echo_tables(result)
    typer.echo(f"tables: {', '.join(str(p) for p in result.tables)}  ({result.seconds:.0f} s, {result.reused} stages reused)")
    if report:
        _report(result.out)


def validate(
    configs: list[str] = typer.Argument(..., metavar="CONFIG", help="Config files or shipped config names."),
    set_: list[str] = typer.Option([], "--set", metavar="KEY=VALUE", help=SET_HELP),
) -> None:
    """Check configs against the schema and expand their sweeps; loads no data or model."""
    from synthdiv.experiments.graph import build_graph
    from synthdiv.experiments.spec import load_spec

    for config in configs:
        spec = load_spec(config, set_)
        graph = build_graph(spec)
        counts: dict[str, int] = {}
        for node in graph.nodes:  # every kind, so the counts add up to the total
            counts[node.kind] = counts.get(node.kind, 0) + 1
        ordered = sorted(counts, key=lambda k: PIPELINE.index(k) if k in PIPELINE else len(PIPELINE))
        kinds = ", ".join(f"{counts[kind]} {kind}" for kind in ordered)
        loop = f"; {len(graph.loops)} loop steps" if graph.loops else ""
        typer.echo(f"{config}: valid ({spec.name}: {len(graph.nodes)} stages: {kinds}{loop})")


def demo(
    out: Path = typer.Option(Path("runs/demo"), "--out", "-o", help="Run folder; a second run reuses everything there."),
    set_: list[str] = typer.Option([], "--set", metavar="KEY=VALUE", help=SET_HELP),
) -> None:
    """Offline, on a CPU: the §4.2 story experiment at small scale (configs/demo.yaml), then the report."""
    from synthdiv.experiments.runner import run_experiment
    from synthdiv.experiments.spec import load_spec

    spec = load_spec("demo", set_)
    _check_run("demo", spec, out, None, "local")
    result = run_experiment(spec, out)
    _echo_tables(result)
    typer.echo(f"finished in {result.seconds:.0f} s ({result.reused} of {len(result.graph.nodes)} stages reused)")
    _report(result.out)


def _check_run(config: str, spec, out: Path | None, store: Path | None, executor: str) -> None:
    """Before any work: the executor can run, and the run folder and the store can be written
    without touching the config or the real data."""
    import importlib.util

    from synthdiv.errors import UserError
    from synthdiv.experiments.executors import EXECUTORS
    from synthdiv.experiments.runner import default_out, default_store
    from synthdiv.experiments.spec import find_config
    from synthdiv.paths import check_io

    if executor not in EXECUTORS:
        raise UserError(f"unknown executor {executor!r}; use {' or '.join(EXECUTORS)}", where="--executor")
    if executor == "ray" and importlib.util.find_spec("ray") is None:
        raise UserError("the ray executor needs Ray: pip install 'synthdiv[ray]' (or use --executor local)", where="--executor")
    run_dir = Path(out or default_out(spec))
    real = spec.real
    check_io(
        inputs={"config": find_config(config), "real.source": real.source, "real.test_source": real.test_source},
        folders={"--out": run_dir, "--store": store or default_store(run_dir)},
    )


def _echo_tables(result) -> None:
    from synthdiv.experiments.runner import format_aggregate, format_generations, format_results

    if result.results or not result.generations:
        typer.echo(format_results(result.results))
    if result.evidence is not None and result.results:
        if any(int(a.get("seeds") or 1) > 1 for a in result.evidence.aggregate):
            typer.echo(format_aggregate(result.evidence.aggregate))
        typer.echo(result.evidence.format())
    elif result.evidence is not None and result.evidence.ladder:  # a generation-only run: the ladder is its finding
        from synthdiv.experiments import layout
        from synthdiv.stats.ladder import format_ladder

        for line in format_ladder(result.evidence.ladder):
            typer.echo(line)
        typer.echo(f"per level (topics, adherence, seed copies, rejects, diversity with intervals): {result.out / (layout.LADDER + '.csv')}")
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
