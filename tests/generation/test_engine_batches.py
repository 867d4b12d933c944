"""A resumed run sends the same batches as an uninterrupted one, so a batch-seeded backend
(transformers) writes the same text after a kill as without it."""

import copy

from synthdiv.backends import Completion, SamplingParams, get_backend
from synthdiv.backends.base import Backend
from synthdiv.generation.cache import ResponseCache
from synthdiv.generation.engine import Engine


class BatchRecorder(Backend):
    name = "recorder"

    def __init__(self, alignment):
        super().__init__("m")
        self.batch_alignment = alignment
        self.batches = []

    def generate(self, requests, params, on_result=None):
        self.batches.append([r.messages[0]["content"] for r in requests])
        out = []
        for i, r in enumerate(requests):
            comp = Completion(texts=[f"fresh {r.messages[0]['content']}"], prompt_tokens=1, completion_tokens=1)
            if on_result:
                on_result(i, comp)
            out.append(comp)
        return out


def jobs(n):
    return [([{"role": "user", "content": f"p{i}"}], 0) for i in range(n)]


def test_aligned_backend_gets_the_fixed_batches_of_the_wave(tmp_path):
    cache = ResponseCache(tmp_path)
    warm = Engine(BatchRecorder(None), SamplingParams(), cache)
    warm.answer([jobs(10)[i] for i in (0, 1, 2, 3, 5)])  # a killed run answered these
    backend = BatchRecorder(4)
    answers = Engine(backend, SamplingParams(), cache).answer(jobs(10))
    assert backend.batches == [["p4", "p5", "p6", "p7"], ["p8", "p9"]]  # p0-p3: all cached, not sent
    assert [a.cached for a in answers] == [True] * 4 + [False, True] + [False] * 4
    assert answers[5].text == "fresh p5"  # the cached answer is kept, the regenerated one ignored


def test_unaligned_backend_gets_only_the_missing_jobs(tmp_path):
    cache = ResponseCache(tmp_path)
    Engine(BatchRecorder(None), SamplingParams(), cache).answer([jobs(6)[i] for i in (0, 2)])
    backend = BatchRecorder(None)
    Engine(backend, SamplingParams(), cache).answer(jobs(6))
    assert backend.batches == [["p1", "p3", "p4", "p5"]]


def test_transformers_text_after_a_resume_equals_an_uninterrupted_run(tmp_path, tiny_llama, monkeypatch):
    import torch

    torch.set_num_threads(1)
    model, tok = tiny_llama[0], copy.deepcopy(tiny_llama[1])
    monkeypatch.setattr("synthdiv.models.registry.load_causal_lm", lambda name, dtype=None, device=None: (model, tok))
    params = SamplingParams(temperature=1.0, max_tokens=6, seed=0)
    wave = [([{"role": "user", "content": "Tom liked cattle. " * (i % 3 + 1)}], i) for i in range(6)]

    def engine(folder):
        return Engine(get_backend("transformers", model="tiny", batch_size=3, device="cpu"), params, ResponseCache(folder))

    full = [a.text for a in engine(tmp_path / "full").answer(wave)]
    engine(tmp_path / "resumed").answer(wave[:2])  # killed after two answers (batches of 3: [0,1] is not a batch)
    resumed = [a.text for a in engine(tmp_path / "resumed").answer(wave)]
    assert resumed[2:] == full[2:]
    assert len(set(full)) > 1


def _fill(tmp_path, overdraw, n=12, name="c"):
    from synthdiv.generation.engine import fill_slots
    from synthdiv.generation.parse import Parsed

    waves = []
    engine = Engine(get_backend("dummy", reject_every=2), SamplingParams(seed=0), ResponseCache(tmp_path / name))
    answer = engine.answer
    engine.answer = lambda jobs_, blobs=None: (waves.append(len(jobs_)), answer(jobs_, blobs))[1]

    def parse(_g, _j, text):
        return Parsed(value=text) if not text.startswith("Sorry") else Parsed(reason="refused")

    got = fill_slots(engine, "story", {"a": n}, lambda g, j: [{"role": "user", "content": f"story {j}"}], parse,
                     max_attempts=1, overdraw=overdraw)
    return got["a"], waves


def test_overdraw_fills_in_fewer_waves_and_stays_deterministic(tmp_path):
    plain, plain_waves = _fill(tmp_path, 1.0)
    over, over_waves = _fill(tmp_path, 2.0, name="d")
    again, _ = _fill(tmp_path, 2.0, name="d")
    assert len(plain) == len(over) == 12
    assert len(over_waves) < len(plain_waves) and over_waves[0] == 24 and plain_waves[0] == 12
    slots = [a.slot[1] for a in over]
    assert slots == sorted(slots) and [a.value for a in again] == [a.value for a in over]  # the lowest accepted slots
    assert set(slots) >= {a.slot[1] for a in plain if a.slot[1] < 12}  # the first wave's accepted slots are kept
