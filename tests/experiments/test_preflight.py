"""Bad input stops a run with one clear line before any expensive stage starts."""

import pytest

from synthdiv.cli.main import main


def run_cli(capsys, *args):
    code = main(["run", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.err


def assert_stopped_early(code, err, tmp_path, expected):
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and expected in lines[0], err
    assert "Traceback" not in err
    for kind in ("generate", "train", "evaluate"):  # nothing expensive was started
        assert not (tmp_path / "stages" / kind).exists(), kind


def test_config_with_a_typo(tmp_path, tiny_spec, capsys):
    config = tiny_spec(generation={"backend": "dummy", "modle": "x"})
    code, err = run_cli(capsys, config, "--out", tmp_path / "run")
    assert_stopped_early(code, err, tmp_path, "generation.modle: unknown key; did you mean 'generation.model'?")


def test_missing_data_file(tmp_path, tiny_spec, capsys):
    config = tiny_spec(real={"source": str(tmp_path / "nope.jsonl"), "format": "records"})
    code, err = run_cli(capsys, config, "--out", tmp_path / "run")
    assert_stopped_early(code, err, tmp_path, "nope.jsonl")
    assert "does not exist" in err


def test_model_that_cannot_load_offline(tmp_path, tiny_spec, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    config = tiny_spec(training={"models": ["meta-llama/Not-A-Model-1B"]})
    code, err = run_cli(capsys, config, "--out", tmp_path / "run")
    assert_stopped_early(code, err, tmp_path, "training.models[0]")
    assert "cannot load" in err


def test_mistyped_registry_name(tmp_path, tiny_spec, capsys):
    config = tiny_spec(generation={"backend": "transformers", "model": "smollm2-135m-instruc"})
    code, err = run_cli(capsys, config, "--out", tmp_path / "run")
    assert_stopped_early(code, err, tmp_path, "did you mean 'smollm2-135m-instruct'")


def test_unreachable_api(tmp_path, tiny_spec, capsys):
    config = tiny_spec(generation={"backend": "openai", "model": "gpt-4o", "base_url": "http://127.0.0.1:9/v1"})
    code, err = run_cli(capsys, config, "--out", tmp_path / "run")
    assert_stopped_early(code, err, tmp_path, "cannot reach the API at http://127.0.0.1:9/v1")


def test_api_that_refuses_the_key(tmp_path, tiny_spec, capsys, server, monkeypatch):
    monkeypatch.setenv("TEST_KEY", "sk-secret-value")
    server.expect_request("/v1/models").respond_with_json({"error": "bad key"}, status=401)
    config = tiny_spec(generation={"backend": "openai", "model": "gpt-4o", "base_url": server.url_for("/v1"),
                                   "api_key_env": "TEST_KEY"})
    code, err = run_cli(capsys, config, "--out", tmp_path / "run")
    assert_stopped_early(code, err, tmp_path, "the key in $TEST_KEY was refused")
    assert "sk-secret-value" not in err


def test_reachable_api_passes_the_check(tmp_path, tiny_spec, capsys, server):
    server.expect_request("/v1/models").respond_with_json({"data": [{"id": "gpt-4o"}]})
    config = tiny_spec(generation={"backend": "openai", "model": "gpt-4o", "base_url": server.url_for("/v1")})
    code, err = run_cli(capsys, config, "--out", tmp_path / "run", "--dry-run")
    assert code == 0, err


@pytest.mark.parametrize(
    "mixing, generation_n, expected",
    [
        ({"ratios": [0.0, 1.0], "sizes": [12]}, 8, "needs 12 real training records but the real data has 8"),
        ({"ratios": [0.0, 1.0]}, 4, "needs 8 generated records but generation.n is 4"),
        ({"mode": "variable", "ratios": [0.0, 0.8]}, 8, "needs 32 generated records"),
    ],
)
def test_a_ratio_the_data_cannot_satisfy(tmp_path, tiny_spec, capsys, mixing, generation_n, expected):
    config = tiny_spec(mixing=mixing, generation={"backend": "dummy", "levels": ["D0"], "n": generation_n})
    code, err = run_cli(capsys, config, "--out", tmp_path / "run")
    assert_stopped_early(code, err, tmp_path, expected)


def test_dry_run_lists_the_stages_and_runs_none(tmp_path, tiny_spec, capsys):
    code = main(["run", str(tiny_spec()), "--out", str(tmp_path / "run"), "--dry-run"])
    captured = capsys.readouterr()
    assert code == 0 and "valid; 27 stages" in captured.out and "to run  generate" in captured.err
    assert not (tmp_path / "stages" / "generate").exists()


def test_llamacpp_takes_the_registry_name_or_an_existing_gguf(tmp_path, tiny_spec, capsys):
    pytest.importorskip("llama_cpp")
    code, err = run_cli(capsys, tiny_spec(generation={"backend": "llamacpp", "model": "smollm2-135m-instruct"}),
                        "--out", tmp_path / "run", "--dry-run")
    assert code == 0, err
    config = tiny_spec(generation={"backend": "llamacpp", "model": str(tmp_path / "missing.gguf")})
    code, err = run_cli(capsys, config, "--out", tmp_path / "run2")
    assert_stopped_early(code, err, tmp_path / "run2", "generation.model: GGUF file")
