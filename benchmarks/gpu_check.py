"""The GPU check: what synthdiv's GPU paths give on a CUDA machine, in one run.

Sections (each skipped with its reason where the machine lacks what it needs, and each
failure recorded without stopping the others):

* ``env``: the device, its count, bf16 support, the library versions;
* ``train``: LoRA training tokens/s and model FLOP utilisation (MFU) in bf16, our recipe
  beside HF Trainer + PEFT, on a GPT-2-124M-shaped and a Llama-3.2-1B-shaped model (random
  weights: throughput does not depend on them);
* ``train_2proc``: our recipe over two processes (torchrun; NCCL on two GPUs), against one;
* ``batch_invariance``: the test loss at batch sizes 1, 8 and 64 must agree to 1e-4;
* ``generation``: transformers ``generate`` tokens/s at batch sizes 1, 32 and 128;
* ``embedding``: sentence-transformers ``encode`` throughput (all-MiniLM-L6-v2 or its shape).

Writes OUT/gpu_check.json (every number) and OUT/gpu_check.md (the tables), rewritten after
each section, so a run cut short keeps what it measured. ``--smoke`` runs every section on tiny
shapes on whatever device there is (a CPU in a minute or two; two processes with gloo), to show
the check itself works. Run through benchmarks/gpu_check.sh (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

SECTIONS = ("env", "train", "train_2proc", "batch_invariance", "generation", "embedding")
FULL = {"shapes": ["gpt2-124m", "llama-3.2-1b"], "eval_shape": "llama-3.2-1b", "gen_shape": "llama-3.2-1b",
        "batch_size": 8, "max_length": 512, "steps": 12, "warmup": 2, "records": 256,
        "eval_records": 128, "gen_prompt": 128, "gen_new": 128, "embed_texts": 20000, "embed_batch": 256}
SMOKE = {"shapes": ["tiny-gpt2", "tiny-llama"], "eval_shape": "tiny-llama", "gen_shape": "tiny-llama",
         "batch_size": 4, "max_length": 64, "steps": 4, "warmup": 1, "records": 32,
         "eval_records": 64, "gen_prompt": 8, "gen_new": 8, "embed_texts": 64, "embed_batch": 32}
EVAL_BATCHES, GEN_BATCHES, TOLERANCE = [1, 8, 64], [1, 32, 128], 1e-4


class Skip(Exception):
    """A section this machine cannot run; the message says what it lacks."""


def _versions() -> dict:
    """Installed versions, read from the package metadata (importing sentence-transformers takes seconds)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("torch", "transformers", "peft", "accelerate", "sentence-transformers", "tokenizers"):
        try:
            out[name.replace("-", "_")] = version(name)
        except PackageNotFoundError:
            out[name.replace("-", "_")] = None
    return out


def section_env(args, plan, state) -> dict:
    import torch

    cuda = torch.cuda.is_available()
    devices = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if cuda else []
    return {"python": platform.python_version(), "versions": _versions(), "cuda_available": cuda, "cuda": torch.version.cuda,
            "devices": devices, "bf16": bool(cuda and torch.cuda.is_bf16_supported()),
            "tf32_matmul": torch.backends.cuda.matmul.allow_tf32, "cpu_threads": torch.get_num_threads(), "smoke": args.smoke}


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _need_gpu_unless_smoke(args) -> None:
    import torch

    if not args.smoke and not torch.cuda.is_available():
        raise Skip("no CUDA device (run with --smoke to check the script on a CPU)")
    if not args.smoke and not torch.cuda.is_bf16_supported():
        raise Skip(f"{torch.cuda.get_device_name(0)} has no bf16 support")


def section_train(args, plan, state) -> dict:
    import torch

    from _gpu_setup import SHAPES, build_tokenizer, make_records, peak_tflops
    from _gpu_train import run_baseline, run_ours, with_mfu

    _need_gpu_unless_smoke(args)
    if importlib.util.find_spec("peft") is None:
        raise Skip("peft is not installed")
    name = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    peak, peak_source = peak_tflops(name, args.peak_tflops)
    tokenizer = build_tokenizer()
    records = make_records(tokenizer, plan["records"], plan["max_length"])
    lengths = [len(tokenizer(r.context + " " + r.target)["input_ids"]) + 1 for r in records]
    mean_length = sum(lengths) / len(lengths)
    kw = {"batch_size": plan["batch_size"], "max_length": plan["max_length"], "steps": plan["steps"], "warmup": plan["warmup"]}
    rows = []
    for shape_name in plan["shapes"]:
        shape = SHAPES[shape_name]
        ours = with_mfu(run_ours(shape, records, tokenizer, **kw), shape, mean_length, peak)
        base = with_mfu(run_baseline(shape, records, tokenizer, **kw), shape, mean_length, peak)
        rows.append({"shape": shape_name, "ours": ours, "trainer_peft": base, "speedup": ours["tokens_per_s"] / base["tokens_per_s"]})
        state.setdefault("one_process", {})[shape_name] = ours
    return {"rows": rows, "peak_tflops": peak, "peak_source": peak_source, "mean_record_tokens": mean_length, "settings": kw,
            "precision": "bf16 autocast, float32 weights" if torch.cuda.is_available() else "float32 (CPU)"}


def section_train_2proc(args, plan, state) -> dict:
    import torch

    if not args.smoke:
        _need_gpu_unless_smoke(args)
        if torch.cuda.device_count() < 2:
            raise Skip(f"{torch.cuda.device_count()} GPU: a two-process run needs two")
    elif not torch.distributed.is_available() or not torch.distributed.is_gloo_available():
        raise Skip("this torch has no gloo backend for a two-process run on the CPU")
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "ddp.json"
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(Path(__file__)),
               "--worker", "--result", str(result), "--smoke" if args.smoke else "--full"]
        env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.worker_timeout, env=env)
        if proc.returncode != 0:
            lines = (proc.stderr + proc.stdout).strip().splitlines()
            errors = [line.strip() for line in lines if "Error" in line and not line.startswith(" ")]  # the ranks' own exceptions
            raise RuntimeError(f"torchrun exited {proc.returncode}: " + " | ".join(errors[-3:] or lines[-10:]))
        runs = json.loads(result.read_text(encoding="utf-8"))
    rows = []
    for shape_name, two in runs.items():
        one = state.get("one_process", {}).get(shape_name)
        scaling = two["tokens_per_s"] / one["tokens_per_s"] if one and "tokens_per_s" in one else None
        rows.append({"shape": shape_name, "two_processes": two, "one_process_tokens_per_s": one and one.get("tokens_per_s"),
                     "scaling": scaling})
    return {"rows": rows, "backend": "nccl" if torch.cuda.is_available() else "gloo",
            "note": "the processes share each batch: the global batch and the steps are one process's"}


def section_batch_invariance(args, plan, state) -> dict:
    from _gpu_infer import batch_invariance
    from _gpu_setup import SHAPES

    _need_gpu_unless_smoke(args)
    return batch_invariance(SHAPES[plan["eval_shape"]], _device(), EVAL_BATCHES, plan["eval_records"], plan["max_length"], TOLERANCE) | {
        "shape": plan["eval_shape"]}


def section_generation(args, plan, state) -> dict:
    from _gpu_infer import generation
    from _gpu_setup import SHAPES

    _need_gpu_unless_smoke(args)
    return generation(SHAPES[plan["gen_shape"]], _device(), GEN_BATCHES, plan["gen_prompt"], plan["gen_new"]) | {"shape": plan["gen_shape"]}


def section_embedding(args, plan, state) -> dict:
    from _gpu_infer import embedding

    _need_gpu_unless_smoke(args)
    if importlib.util.find_spec("sentence_transformers") is None:
        raise Skip("sentence-transformers is not installed")
    return embedding(_device(), plan["embed_texts"], plan["embed_batch"], words_per_text=40)


RUNNERS = {name: globals()[f"section_{name}"] for name in SECTIONS}


def run_section(name: str, args, plan, state) -> dict:
    import torch

    start = time.perf_counter()
    try:
        body = {"status": "ok", **RUNNERS[name](args, plan, state)}
    except Skip as exc:
        body = {"status": "skipped", "reason": str(exc)}
    except Exception as exc:  # noqa: BLE001 - one broken section must not lose the others' numbers
        body = {"status": "failed", "reason": f"{type(exc).__name__}: {str(exc)[:2000]}", "traceback": traceback.format_exc()[-4000:]}
    finally:
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    body["seconds"] = time.perf_counter() - start
    return body


def _f(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def markdown(report: dict) -> str:
    """The tables of docs/benchmarks.md from a report."""
    s = report["sections"]
    env = s.get("env", {})
    lines = [f"# GPU check, {report['date']}", ""]
    if env.get("status") == "ok":
        v = env["versions"]
        lines += [f"Device: {', '.join(env['devices']) or 'CPU only'}; torch {v['torch']} (CUDA {env['cuda']}), "
                  f"transformers {v['transformers']}, peft {v['peft']}, accelerate {v['accelerate']}, "
                  f"sentence-transformers {v['sentence_transformers']}; smoke mode: {env['smoke']}.", ""]
    t = s.get("train", {})
    if t.get("status") == "ok":
        st = t["settings"]
        lines += [f"## LoRA training ({t['precision']}; batch {st['batch_size']}, max length {st['max_length']}, mean record "
                  f"{t['mean_record_tokens']:.0f} tokens, {st['steps'] - st['warmup']} timed steps; MFU against "
                  f"{_f(t['peak_tflops'])} TFLOP/s, {t['peak_source']})", "",
                  "| model shape | recipe | real tokens/s | model TFLOP/s | MFU | peak memory (GiB) | speed-up |",
                  "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
        for r in t["rows"]:
            for label, run, speed in (("synthdiv", r["ours"], f"{r['speedup']:.2f}×"), ("HF Trainer + PEFT", r["trainer_peft"], "1")):
                mfu = f"{100 * run['mfu']:.1f} %" if run.get("mfu") is not None else "–"
                lines.append(f"| {r['shape']} | {label} | {_f(run['tokens_per_s'], 0)} | {_f(run.get('model_tflops'), 3)} | {mfu} | "
                             f"{_f(run.get('peak_memory_gib'), 2)} | {speed} |")
        lines.append("")
    d = s.get("train_2proc", {})
    if d.get("status") == "ok":
        lines += [f"## Two processes ({d['backend']}; {d['note']})", "", "| model shape | 1 process tokens/s | 2 processes tokens/s | scaling |",
                  "| --- | ---: | ---: | ---: |"]
        lines += [f"| {r['shape']} | {_f(r['one_process_tokens_per_s'], 0)} | {_f(r['two_processes'].get('tokens_per_s'), 0)} | "
                  f"{_f(r['scaling'], 2)}× |" for r in d["rows"]]
        lines.append("")
    b = s.get("batch_invariance", {})
    if b.get("status") == "ok":
        lines += [f"## Test loss at several batch sizes ({b['shape']}, float32; tolerance {b['tolerance']:g}: "
                  f"{'passed' if b['passed'] else 'FAILED'}; largest per-record difference {b['max_per_record_loss_difference']:.2e})", "",
                  "| batch size | test loss | difference from batch 1 | seconds |", "| ---: | ---: | ---: | ---: |"]
        first = b["rows"][0]["test_loss"]
        lines += [f"| {r['batch_size']} | {r['test_loss']:.8f} | {abs(r['test_loss'] - first):.2e} | {r['seconds']:.2f} |" for r in b["rows"]]
        lines.append("")
    g = s.get("generation", {})
    if g.get("status") == "ok":
        lines += [f"## transformers generation ({g['shape']}, {g['dtype']}, greedy, prompt {g['prompt_tokens']} tokens)", "",
                  "| batch size | new tokens | seconds | tokens/s |", "| ---: | ---: | ---: | ---: |"]
        lines += [f"| {r['batch_size']} | {r['new_tokens']} | {r['seconds']:.2f} | {_f(r['tokens_per_s'], 0)} |" for r in g["rows"]]
        lines.append("")
    e = s.get("embedding", {})
    if e.get("status") == "ok":
        lines += ["## sentence-transformers embedding", "", "| model | texts | batch size | texts/s | tokens/s |", "| --- | ---: | ---: | ---: | ---: |",
                  f"| {e['model']} | {e['texts']} | {e['batch_size']} | {_f(e['texts_per_s'], 0)} | {_f(e['tokens_per_s'], 0)} |", ""]
    others = [(n, b) for n, b in s.items() if b.get("status") != "ok"]
    if others:
        lines += ["## Not run", ""] + [f"* {n}: {b['status']}: {b['reason'].splitlines()[0][:300]}" for n, b in others] + [""]
    return "\n".join(lines)


def write(report: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu_check.json").write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    (out / "gpu_check.md").write_text(markdown(report), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path("gpu_check_out"), help="folder for gpu_check.json and gpu_check.md")
    ap.add_argument("--smoke", action="store_true", help="tiny shapes on any device: checks the script, measures nothing")
    ap.add_argument("--full", action="store_true", help=argparse.SUPPRESS)  # the worker's counterpart of --smoke
    ap.add_argument("--only", nargs="+", choices=SECTIONS, help="run these sections only (env always runs)")
    ap.add_argument("--skip", nargs="+", choices=SECTIONS, default=[], help="leave these sections out")
    ap.add_argument("--peak-tflops", type=float, help="the device's dense bf16 peak, for a card the built-in table lacks")
    ap.add_argument("--worker-timeout", type=float, default=900, help="seconds the two-process run may take")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)  # one process of the torchrun launch
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    plan = SMOKE if args.smoke else FULL
    if args.worker:
        from _gpu_train import worker_main

        worker_main(plan["shapes"], plan["batch_size"], plan["max_length"], plan["steps"], plan["warmup"], plan["records"], args.result)
        return 0
    import torch

    threads = torch.get_num_threads()
    if args.smoke and not torch.cuda.is_available():
        torch.set_num_threads(1)  # tiny shapes: threads only wait on each other, many times over on a shared CPU
    try:
        return _run_sections(args, plan)
    finally:
        torch.set_num_threads(threads)


def _run_sections(args, plan) -> int:
    wanted = [n for n in SECTIONS if (n == "env" or not args.only or n in args.only) and n not in args.skip]
    report = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "command": sys.argv, "plan": plan,
              "sections": {}}
    state: dict = {}  # what one section hands the next (the one-process runs the two-process one compares with)
    for name in wanted:
        print(f"[gpu_check] {name} …", file=sys.stderr, flush=True)
        report["sections"][name] = body = run_section(name, args, plan, state)
        print(f"[gpu_check] {name}: {body['status']} in {body['seconds']:.1f} s"
              + (f" ({body['reason'].splitlines()[0][:200]})" if "reason" in body else ""), file=sys.stderr, flush=True)
        write(report, args.out)
    failed = [n for n, b in report["sections"].items() if b["status"] == "failed"]
    print(f"[gpu_check] wrote {args.out / 'gpu_check.json'} and {args.out / 'gpu_check.md'}"
          + (f"; failed: {', '.join(failed)}" if failed else ""), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
