"""Adding a backend is its module and one registry line: the echo backend (tests/backends/echo_backend.py)
declares what it can do on its class, and the command, the spec, the sweep's preflight and graph, the story
strategy and the cost planner act on it with no other edit."""

from __future__ import annotations

import pytest
from echo_backend import EchoBackend

from synthdiv import backends
from synthdiv.cli.main import main
from synthdiv.data.records_io import read_records
from synthdiv.experiments.graph import build_graph
from synthdiv.experiments.preflight import check_backend
from synthdiv.experiments.spec import load_spec


@pytest.fixture
def echo(monkeypatch):
    monkeypatch.setitem(backends.BACKENDS, "echo", ("echo_backend", "EchoBackend"))
    monkeypatch.setattr(EchoBackend, "checked", [])
    return EchoBackend


def test_generate_runs_on_it_and_constrains_as_it_declares(echo, tmp_path, capsys):
    out = tmp_path / "g.jsonl"
    assert main(["generate", "--backend", "echo", "--model", "m", "--topics", "builtin", "--n", "4", "-o", str(out),
                 "--no-progress", "--set", "constrain=true", "--cache-dir", str(tmp_path / "c")]) == 0
    records = read_records(out)
    assert len(records) == 4 and {r.provenance.sampling["constraint"] for r in records} == {"five_sentences"}
    assert "cannot constrain" not in capsys.readouterr().err
    assert main(["generate", "--backend", "echo", "--model", "m", "--topics", "builtin", "--n", "4", "-o", str(out),
                 "--dry-run", "--set", "constrain=true", "--cache-dir", str(tmp_path / "c")]) == 0
    assert "already cached (free): 4" in capsys.readouterr().out  # the planner keys and constrains as the run did


def test_the_sweep_checks_it_keys_it_and_loops_with_it(echo, tiny_spec):
    assert "echo" in backends.with_capability("loads_adapters") and "pace" in backends.run_mechanics()
    spec = load_spec(tiny_spec(generation={"backend": "echo", "model": "m", "backend_options": {"pace": 2, "style": "plain"}},
                               loop={"count": 1, "n": 4}, mixing={"ratios": [0.0]}))
    check_backend(spec)
    assert echo.checked == [("m", {"base_url": None, "api_key_env": "OPENAI_API_KEY", "pace": 2, "style": "plain"})]

    def generate_keys(**options) -> set[str]:
        s = load_spec(tiny_spec(generation={"backend": "echo", "model": "m", "backend_options": options}))
        return {n.key for n in build_graph(s).of_kind("generate")}

    assert generate_keys(pace=2, style="plain") == generate_keys(pace=9, style="plain")  # a run mechanic: not in the key
    assert generate_keys(pace=2, style="plain") != generate_keys(pace=2, style="fancy")  # changes the text: in the key
