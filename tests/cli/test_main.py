import subprocess
import sys

from synthdiv.cli.main import main


def test_help_lists_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "data" in out and "models" in out


def test_every_command_has_help(capsys):
    from synthdiv.cli.main import app
    import typer.main

    group = typer.main.get_command(app)
    paths = []

    def walk(cmd, prefix):
        for name, sub in getattr(cmd, "commands", {}).items():
            paths.append(prefix + [name])
            walk(sub, prefix + [name])

    walk(group, [])
    assert ["data", "convert"] in paths
    for path in paths:
        assert main([*path, "--help"]) == 0, path
        assert "Usage" in capsys.readouterr().out


def test_help_starts_fast_and_imports_nothing_heavy():
    code = (
        "import sys, time; t=time.perf_counter(); from synthdiv.cli.main import main; "
        "rc=main(['--help']); heavy=[m for m in ('torch','transformers','sentence_transformers','sklearn','httpx','datasets','numba') "
        "if m in sys.modules]; print(heavy, time.perf_counter()-t, file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    heavy = proc.stderr.strip().splitlines()[-1]
    assert heavy.startswith("[]"), heavy


def test_usage_error_exit_code(capsys):
    assert main(["data", "convert"]) == 2


def test_cli_reference_is_up_to_date():
    """docs/cli.md is generated from the commands; regenerate it with scripts/cli_docs.py."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, str(root / "scripts" / "cli_docs.py"), "--check"], cwd=root)
    assert proc.returncode == 0, "docs/cli.md is stale: run .venv/bin/python scripts/cli_docs.py"


def test_running_one_command_imports_only_the_command_modules_up_to_it(tmp_path):
    texts = tmp_path / "t.txt"
    texts.write_text("a b c\nb c d\n", encoding="utf-8")
    code = (
        "import sys; from synthdiv.cli.main import main; "
        f"rc = main(['diversity', {str(texts)!r}, '--metrics', 'distinct', '--json']); "
        "print(rc, [m for m in ('synthdiv.cli.metrics', 'synthdiv.cli.data', 'synthdiv.cli.training', 'synthdiv.cli.ladder') if m in sys.modules], "
        "file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stderr.strip().splitlines()[-1] == "0 ['synthdiv.cli.metrics']"
    assert '"ngram_diversity_score"' in proc.stdout


def test_a_command_registered_last_runs_and_app_still_has_every_command(capsys):
    from synthdiv.cli.main import app

    assert main(["ladder", "--help"]) == 0  # synthdiv.cli.ladder registers last
    assert "Usage" in capsys.readouterr().out
    names = {info.name for info in app.registered_commands} | {info.name for info in app.registered_groups}
    assert {"diversity", "train", "ladder", "data", "models"} <= names


def test_leaving_without_teardown_keeps_the_output_and_the_exit_code(tmp_path):
    texts = tmp_path / "t.txt"
    texts.write_text("a b c\nb c d\n", encoding="utf-8")
    run = "from synthdiv.cli.main import leave, main; leave(main({!r}))"
    ok = subprocess.run([sys.executable, "-c", run.format(["diversity", str(texts), "--metrics", "distinct", "--json"])],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.rstrip().endswith("}")  # the whole JSON, flushed before leaving
    bad = subprocess.run([sys.executable, "-c", run.format(["diversity", str(tmp_path / "missing.txt")])],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("error: ")
