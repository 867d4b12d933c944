"""Generation throughput on this machine: the transformers backend at each batch size and dtype, beside llama.cpp, against the matmul peak.

The prompts are those ``synthdiv generate`` sends for topic-guided stories (``story_messages``: the story
template's system turn, k = 3 real Story Cloze stories as worked examples, then the request for a story on a topic
of the built-in Appendix A.4 list), sampled at temperature 0.7 with a fixed seed, at most ``--max-tokens`` new tokens.
Every configuration answers the first stories of the same list (at least one full batch).

* transformers: :class:`synthdiv.backends.transformers_backend.TransformersBackend` itself, at each of
  ``--batch-sizes`` (by default 1 to 32 and the backend's default batch size) in fp32, and briefly in bf16 beside fp32
  on the same short run (``--bf16-stories`` stories of ``--bf16-tokens`` tokens: without native bf16 it is slow).
  Forward hooks on the model split the time: its passes over the prompts (prefill) and the rest of
  ``model.generate`` (one pass per new token, sampling, stopping: decode).
* llama.cpp: :class:`synthdiv.backends.llamacpp.LlamaCppBackend` on the 4-bit GGUF the transformers weights are
  de-quantised from (one request at a time, as the backend sends them); prefill and decode from llama.cpp's own
  counters (it keeps the common prefix of consecutive prompts, so it evaluates fewer prompt positions than it is sent:
  its prompt tokens/s counts the tokens sent).

Tokens are real ones: prompt tokens without padding, completion tokens up to the end-of-sequence token (what the
backend reports). Padded prompt positions and the new tokens of rows that had already ended are computed but not
counted (``prompt_positions``, ``new_token_positions`` say how many were). Model FLOPs per token: 2 × N (N: every
parameter, the tied embedding once, as the LM head). The count leaves out attention over the context (4 · layers ·
hidden · context per token; ``attention_extra`` estimates the share it would add at these lengths), and in prefill it
counts the LM head at every prompt position where ``generate`` computes logits at the last one only. MFU = model
FLOP/s over the fp32 2,048² matmul peak (benchmarks/_peak.py), measured before and after the runs, the best of the two.
Run:

    .venv/bin/python benchmarks/bench_generation.py --stories 8 --max-tokens 120

One JSON object per line on stdout, then the markdown table.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))
from _peak import peaks  # noqa: E402 - after the path setup

DEFAULT_DATA = REPO.parent / "shared" / "data" / "story_cloze_sample.csv"


def story_requests(data: Path, n: int, seed: int) -> list:
    """``n`` topic-guided story requests as the topic strategy builds them (k real examples, their mean length)."""
    from synthdiv.backends.base import ChatRequest
    from synthdiv.data.loaders import load_story_cloze
    from synthdiv.generation.levels import topic_level
    from synthdiv.generation.parse import word_count
    from synthdiv.generation.prompts import story_messages, story_text
    from synthdiv.generation.topics import builtin_topics

    real, topics, k = load_story_cloze(data), builtin_topics(), topic_level("D6").k
    rng = random.Random(seed)
    requests = []
    for j in range(n):
        examples = rng.sample(real, k)
        words = round(sum(word_count(story_text(s)) for s in examples) / k)
        requests.append(ChatRequest(messages=story_messages(rng.choice(topics), examples, words), first_sample=j))
    return requests


class ForwardClock:
    """Forward hooks on a model: the seconds and positions of its passes over whole prompts (prefill), and how many
    new tokens its passes computed (one a row per pass: the prompt pass gives each row its first)."""

    def __init__(self, model):
        self.prefill_s, self.prompt_positions, self.new_token_positions = 0.0, 0, 0
        self._started: float | None = None
        self._hooks = [model.register_forward_pre_hook(self._before, with_kwargs=True),
                       model.register_forward_hook(self._after, with_kwargs=True)]

    def _before(self, module, args, kwargs):
        ids = kwargs.get("input_ids", args[0] if args else None)
        rows, length = ids.shape
        self.new_token_positions += rows
        if length > 1:
            self.prompt_positions += rows * length
            self._started = time.perf_counter()

    def _after(self, module, args, kwargs, output):
        if self._started is not None:
            self.prefill_s += time.perf_counter() - self._started
            self._started = None

    def close(self) -> None:
        for hook in self._hooks:
            hook.remove()


def measured(row: dict, n_params: int, peak_gflops: float) -> dict:
    """``row`` (token counts and seconds) with its rates, model GFLOP/s and MFU: overall, prefill and decode."""
    per_token = 2 * n_params
    decode_s = row["wall_s"] - row["prefill_s"]
    rates = {
        "decode_s": decode_s,
        "prompt_tokens_per_s": row["prompt_tokens"] / row["prefill_s"],
        "completion_tokens_per_s": row["completion_tokens"] / decode_s,
        "s_per_story": row["wall_s"] / row["stories"],
        "model_gflops": (row["prompt_tokens"] + row["completion_tokens"]) * per_token / row["wall_s"] / 1e9,
    }
    rates["prefill_mfu"] = rates["prompt_tokens_per_s"] * per_token / (peak_gflops * 1e9)
    rates["decode_mfu"] = rates["completion_tokens_per_s"] * per_token / (peak_gflops * 1e9)
    rates["mfu"] = rates["model_gflops"] / peak_gflops
    return row | rates


def run_transformers(backend, requests: list, params) -> dict:
    """One timed ``backend.generate`` over ``requests``: token counts, computed positions and the prefill/decode split."""
    model, _ = backend._load()
    clock = ForwardClock(model)
    try:
        started = time.perf_counter()
        completions = backend.generate(requests, params)
        wall = time.perf_counter() - started
    finally:
        clock.close()
    return {"backend": "transformers", "dtype": backend.dtype or "float32", "batch_size": backend.batch_size, "stories": len(requests),
            "prompt_tokens": sum(c.prompt_tokens for c in completions), "completion_tokens": sum(c.completion_tokens for c in completions),
            "prompt_positions": clock.prompt_positions, "new_token_positions": clock.new_token_positions,
            "prefill_s": clock.prefill_s, "wall_s": wall}  # fmt: skip


def run_llamacpp(backend, requests: list, params) -> dict:
    """One timed ``backend.generate`` over ``requests`` (one at a time); prefill/decode time from llama.cpp's counters."""
    import llama_cpp

    ctx = backend._load()._ctx.ctx
    before = llama_cpp.llama_perf_context(ctx)
    t_p, t_e, n_p, n_e = before.t_p_eval_ms, before.t_eval_ms, before.n_p_eval, before.n_eval
    started = time.perf_counter()
    completions = backend.generate(requests, params)
    wall = time.perf_counter() - started
    after = llama_cpp.llama_perf_context(ctx)
    prefill_s = (after.t_p_eval_ms - t_p) / 1e3
    return {"backend": "llamacpp", "dtype": "q4 (GGUF)", "batch_size": 1, "stories": len(requests),
            "prompt_tokens": sum(c.prompt_tokens for c in completions), "completion_tokens": sum(c.completion_tokens for c in completions),
            "prompt_positions": after.n_p_eval - n_p, "new_token_positions": after.n_eval - n_e + len(requests), "prefill_s": prefill_s,
            "decode_eval_s": (after.t_eval_ms - t_e) / 1e3, "wall_s": wall}  # fmt: skip


def stories_for(batch_size: int, stories: int) -> int:
    """At least ``stories``, in whole batches."""
    return batch_size * math.ceil(stories / batch_size)


def attention_extra(row: dict, config) -> float:
    """What attention over the context would add to the 2 × N count, as a share of it, at the mean context of ``row``:
    4 · layers · hidden FLOPs per token and position attended (QKᵀ and the weighted sum; a causal prompt pass attends
    to half its length on average)."""
    stories = row["stories"]
    prompt = row["prompt_tokens"] / stories
    completion = row["completion_tokens"] / stories
    per_position = 4 * config.num_hidden_layers * config.hidden_size
    attention = row["prompt_tokens"] * per_position * prompt / 2 + row["completion_tokens"] * per_position * (prompt + completion / 2)
    return attention / ((row["prompt_tokens"] + row["completion_tokens"]) * 2 * row["n_params"])


def markdown(rows: list[dict], peak: float) -> str:
    head = ("| backend | dtype | batch | stories | prompt tok/s (prefill) | completion tok/s (decode) | s per story | "
            "model GFLOP/s | MFU prefill | MFU decode | MFU overall | new-token positions computed / counted |")
    lines = [head, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        dtype = f"{r['dtype']}, {r['max_tokens']} tokens" if r.get("short_run") else r["dtype"]
        lines.append(f"| {r['backend']} | {dtype} | {r['batch_size']} | {r['stories']} | {r['prompt_tokens_per_s']:,.0f} | "
                     f"{r['completion_tokens_per_s']:,.1f} | {r['s_per_story']:.2f} | {r['model_gflops']:.1f} | "
                     f"{r['prefill_mfu']:.1%} | {r['decode_mfu']:.1%} | {r['mfu']:.1%} | "
                     f"{r['new_token_positions'] / max(r['completion_tokens'], 1):.2f} |")  # fmt: skip
    lines.append(f"\nMFU against the measured fp32 matmul peak of {peak:.1f} GFLOP/s (2 × N FLOPs per token).")
    return "\n".join(lines)


def main() -> None:
    from synthdiv.backends.base import OPTION_DEFAULTS

    default_batch = OPTION_DEFAULTS["batch_size"]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--gguf", default="smollm2-135m-instruct", help="llama.cpp's model (a .gguf file or the registry name)")
    parser.add_argument("--no-llamacpp", action="store_true", help="leave llama.cpp out")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--batch-sizes", type=int, nargs="+", help="default: 1, 4, 8, 16, 32 and the backend's default")
    parser.add_argument("--stories", type=int, default=8, help="stories per configuration (rounded up to whole batches)")
    parser.add_argument("--max-tokens", type=int, default=120)
    parser.add_argument("--bf16-stories", type=int, default=2, help="stories of the short bf16 run (one batch); 0 leaves it out")
    parser.add_argument("--bf16-tokens", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--peak-size", type=int, default=2048, help="side of the square matmul that measures the peak")
    args = parser.parse_args()

    import torch

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    torch.set_num_threads(args.threads)
    from synthdiv.backends.base import ChatRequest, SamplingParams
    from synthdiv.backends.transformers_backend import TransformersBackend
    from synthdiv.models.registry import resolve_causal_lm

    resolve_causal_lm(args.model)  # build the cached copy before any timing
    batch_sizes = sorted(set(args.batch_sizes or [1, 4, 8, 16, 32, default_batch]))
    n_timed = max([stories_for(b, args.stories) for b in batch_sizes] + [args.bf16_stories])
    *requests, warm_up = story_requests(args.data, n_timed + 1, args.seed)  # the warm-ups ask a prompt no timed run sends
    params = SamplingParams(temperature=0.7, max_tokens=args.max_tokens, seed=args.seed)
    before = {"load_average": os.getloadavg(), "matmul_gflops": peaks(args.peak_size)}
    print(json.dumps({"machine": before, "threads": args.threads, "model": args.model, "max_tokens": args.max_tokens,
                      "default_batch_size": default_batch, "time": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}), flush=True)

    runs = []
    fp32 = TransformersBackend(args.model, batch_size=1, device="cpu")
    model, _ = fp32._load()
    n_params, config = sum(p.numel() for p in model.parameters()), model.config
    fp32.generate([warm_up], SamplingParams(max_tokens=2, seed=args.seed))  # warm-up: kernel choice, allocations
    for b in batch_sizes:
        fp32.batch_size = fp32.batch_alignment = b
        runs.append(run_transformers(fp32, requests[: stories_for(b, args.stories)], params) | {"n_params": n_params})
        print(json.dumps(runs[-1]), flush=True)
    if args.bf16_stories:
        short = SamplingParams(temperature=0.7, max_tokens=args.bf16_tokens, seed=args.seed)
        bf16 = TransformersBackend(args.model, batch_size=args.bf16_stories, device="cpu", dtype="bfloat16")
        hello = ChatRequest(messages=[{"role": "user", "content": "Hello"}])  # a short warm-up: a long prompt takes seconds in bf16
        bf16.generate([hello], SamplingParams(max_tokens=2, seed=args.seed))
        fp32.batch_size = fp32.batch_alignment = args.bf16_stories
        short_run = {"n_params": n_params, "short_run": True, "max_tokens": args.bf16_tokens}
        for backend in (fp32, bf16):  # the same short run in both dtypes
            runs.append(run_transformers(backend, requests[: args.bf16_stories], short) | short_run)
            print(json.dumps(runs[-1]), flush=True)
        del bf16
    if not args.no_llamacpp:
        from synthdiv.backends.llamacpp import LlamaCppBackend

        llama = LlamaCppBackend(args.gguf, n_threads=args.threads)
        llama.generate([warm_up], SamplingParams(max_tokens=2, seed=args.seed))
        runs.append(run_llamacpp(llama, requests[: args.stories], params) | {"n_params": n_params})
        print(json.dumps(runs[-1]), flush=True)

    after = {"load_average": os.getloadavg(), "matmul_gflops": peaks(args.peak_size)}
    peak = max(before["matmul_gflops"]["fp32"], after["matmul_gflops"]["fp32"])
    rows = [measured(r, n_params, peak) | {"attention_extra": attention_extra(r, config)} for r in runs]
    for row in rows:
        print(json.dumps({"result": row}), flush=True)
    print(json.dumps({"summary": "fp32", "peak_gflops": peak, "machine_after": after}), flush=True)
    print(markdown(rows, peak))


if __name__ == "__main__":
    main()
