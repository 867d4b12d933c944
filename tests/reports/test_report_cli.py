"""`synthdiv report RUN_DIR` through the CLI entry point: output, and one-line errors with exit code 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from synthdiv.cli.main import main


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:"), err
    return err[0]


def test_report_command_writes_the_page(build_run, tmp_path, capsys):
    # no embedder in the spec: the map uses the lexical embedding, so no model is loaded
    run_dir = build_run("cli", embedding=False, seeds=(0,), models=("gpt2",))
    out = tmp_path / "elsewhere"
    assert main(["report", str(run_dir), "--out", str(out), "--map-points", "10"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == f"report: {out / 'index.html'}"
    assert "[report] skipped Fig. 5:" in captured.err
    assert (out / "index.html").is_file() and (out / "fig2_test_loss_vs_diversity.png").is_file()
    assert not (run_dir / "report").exists()


def test_quiet_prints_only_the_path(build_run, capsys):
    run_dir = build_run("quiet", embedding=False, seeds=(0,), models=("gpt2",), train_logs=False)
    assert main(["report", str(run_dir), "-q", "--map-points", "10"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out.startswith("report: ")


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda d: None, "run directory not found"),
        (lambda d: d.mkdir(), "no results.csv in the run directory"),
        (lambda d: (d.mkdir(), (d / "results.csv").write_text("model,role\ngpt2,real\n")), "lacks the column(s) test_loss"),
        (lambda d: (d.mkdir(), (d / "results.csv").write_text("model,role,test_loss\n")), "has no rows"),
        (lambda d: (d.mkdir(), (d / "results.csv").write_text("model,role,test_loss\ngpt2,real,3.0\n"),
                    (d / "spec.yaml").write_text("name: [unclosed\n")), "spec.yaml is not valid YAML"),
    ],
)
def test_bad_run_dir_is_one_line_and_exit_2(tmp_path, capsys, setup, message):
    run_dir = tmp_path / "run"
    setup(run_dir)
    assert main(["report", str(run_dir)]) == 2
    assert message in one_error_line(capsys)
    assert not (run_dir / "report" / "index.html").exists()


def test_map_points_must_be_positive(run_dir, capsys):
    assert main(["report", str(run_dir), "--map-points", "0"]) == 2
    assert "--map-points" in one_error_line(capsys)


def test_help_imports_no_plotting_or_tables():
    code = (
        "import sys; from synthdiv.cli.main import main; main(['report', '--help']); "
        "print([m for m in ('matplotlib', 'pandas', 'sklearn', 'torch') if m in sys.modules], file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Usage" in proc.stdout and "RUN_DIR" in proc.stdout
    assert proc.stderr.strip().splitlines()[-1] == "[]"
