"""``synthdiv demo``: the offline end-to-end run (the README's main job)."""

from __future__ import annotations

from pathlib import Path

import typer


def demo(
    out: Path = typer.Option(Path("runs/demo"), "--out", "-o", help="Run folder; a second run reuses what is there."),
    model: str = typer.Option("smollm2-135m-instruct", "--model", help="Generator and student model."),
    levels: str = typer.Option("D0,D2,D3", "--levels", help="Comma-separated diversity levels to generate."),
    n_generated: int = typer.Option(32, "--n", help="Generated stories per level."),
    n_train_real: int = typer.Option(32, "--n-real", help="Real training stories."),
    n_test: int = typer.Option(64, "--n-test", help="Real test stories."),
    epochs: int = typer.Option(2, "--epochs", help="LoRA epochs per training set."),
    embedder: str = typer.Option("minilm-l6", "--embedder", help="Sentence-embedding model for the shift metrics; 'none' skips them."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Offline, on a CPU: real corpus → generation at several levels → diversity and shift → LoRA → test loss."""
    from synthdiv.experiments.demo import DemoConfig, format_table, run_demo

    cfg = DemoConfig(
        out=out, model=model, levels=tuple(x.strip() for x in levels.split(",") if x.strip()), n_generated=n_generated,
        n_train_real=n_train_real, n_test=n_test, epochs=epochs, embedder=None if embedder == "none" else embedder, seed=seed,
    )
    result = run_demo(cfg)
    typer.echo(format_table(result["rows"]))
    typer.echo(f"results: {out / 'results.csv'} (and results.json, metrics/, eval/, data/)  in {result['seconds']:.0f} s")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
