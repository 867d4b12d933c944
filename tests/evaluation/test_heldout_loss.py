"""Test loss: token-weighted over the whole set, independent of batch size and padding."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from synthdiv.evaluation.heldout_loss import evaluate, evaluate_base
from synthdiv.training.encoding import encode_records
from synthdiv.training.loss import TargetNLL


@pytest.mark.parametrize("arch", ["gpt2", "llama"])
def test_batch_sizes_1_3_8_agree(arch, request, records_of):
    model, tok = request.getfixturevalue(f"tiny_{arch}")
    recs = records_of(17)  # 17 records of several lengths: batches of 3 and 8 mix lengths, the last is partial
    losses = [evaluate(model, tok, recs, batch_size=bs).test_loss for bs in (1, 3, 8)]
    assert max(losses) - min(losses) < 1e-5
    per_1 = [p["loss"] for p in evaluate(model, tok, recs, batch_size=1).per_sample]
    per_8 = [p["loss"] for p in evaluate(model, tok, recs, batch_size=8).per_sample]
    assert per_1 == pytest.approx(per_8, abs=1e-5)


def test_loss_is_summed_nll_over_target_tokens_only(tiny_gpt2, records_of):
    """Compare with a direct computation: full forward, one record at a time, cross entropy
    on the positions whose next token is a target token and nowhere else."""
    model, tok = tiny_gpt2
    model.eval()
    recs = records_of(5)
    data = encode_records(recs, tok, max_length=512)
    total, count = 0.0, 0
    with torch.no_grad():
        for ex in data.examples:
            ids = torch.tensor([ex.input_ids])
            logits = model(ids).logits[0, :-1]
            labels = torch.tensor(ex.labels[1:])
            keep = labels != -100
            total += F.cross_entropy(logits[keep], labels[keep], reduction="sum").item()
            count += int(keep.sum())
    res = evaluate(model, tok, recs, batch_size=2)
    assert res.tokens == count == sum(e.n_target for e in data.examples)
    assert res.test_loss == pytest.approx(total / count, abs=1e-5)
    assert res.samples == 5
    assert res.perplexity == pytest.approx(math.exp(res.test_loss))
    # the token-weighted mean, not a mean of per-record means
    assert res.test_loss == pytest.approx(sum(p["nll"] for p in res.per_sample) / sum(p["tokens"] for p in res.per_sample))
    assert res.loss_per_char == pytest.approx(sum(p["nll"] for p in res.per_sample) / res.characters)
    assert res.characters == sum(len(r.target.strip()) for r in recs)


def test_prompt_tokens_carry_no_loss(tiny_llama, records_of):
    """Changing a prompt token's label has no effect; only target positions are scored."""
    model, tok = tiny_llama
    data = encode_records(records_of(2), tok, max_length=512)
    ex = data.examples[0]
    ids = torch.tensor([ex.input_ids])
    mask = torch.ones_like(ids)
    labels = torch.tensor([ex.labels])
    scorer = TargetNLL(model).eval()
    with torch.no_grad():
        nll, n = scorer(ids, mask, labels)
        everything, n_all = scorer(ids, mask, ids.clone())
    assert int(n) == ex.n_target < int(n_all)
    assert float(nll) < float(everything)


def test_fast_head_path_equals_the_full_forward(tiny_llama, records_of):
    model, tok = tiny_llama
    from synthdiv.training.encoding import collate

    batch = collate(encode_records(records_of(4), tok, max_length=512).examples, tok.pad_token_id)
    scorer = TargetNLL(model).eval()
    with torch.no_grad():
        fast, _ = scorer(**batch)
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits[:, :-1]
        full = F.cross_entropy(logits.transpose(1, 2), batch["labels"][:, 1:], reduction="none").sum(1)
    torch.testing.assert_close(fast, full, atol=1e-5, rtol=1e-5)


def test_base_loss_with_the_adapter_switched_off(tiny_llama, tmp_path, records_of):
    import copy

    from synthdiv.training import TrainConfig
    from synthdiv.training.recipe import train

    model, tok = tiny_llama
    recs = records_of(8)
    before = evaluate(copy.deepcopy(model), tok, recs).test_loss
    cfg = TrainConfig(model="tiny", batch_size=4, max_steps=4, lr=1e-2, progress=False, checkpoint_every=0)
    res = train(recs, cfg, tmp_path / "run", model=model, tokenizer=tok)
    base = evaluate_base(res.model, tok, recs).test_loss
    after = evaluate(res.model, tok, recs).test_loss
    assert base == pytest.approx(before, abs=1e-6)
    assert after < base


def test_truncated_records_are_counted(tiny_gpt2, records_of):
    model, tok = tiny_gpt2
    recs = records_of(6)
    longest = max(len(e.input_ids) for e in encode_records(recs, tok, max_length=10_000).examples)
    res = evaluate(model, tok, recs, max_length=longest - 5)
    assert res.truncated_records >= 1 and res.max_length == longest - 5
    assert sum(p["truncated_tokens"] > 0 for p in res.per_sample) == res.truncated_records


def test_the_test_loss_is_fp32_inside_a_callers_bf16_autocast(tiny_llama, records_of):
    """An fp32 model is scored in fp32 even inside a bf16 autocast region (a bf16 training run's, a user's):
    the same numbers as outside it, while the scorer itself would have given bf16-rounded ones there."""
    model, tok = tiny_llama
    recs = records_of(6)
    exact = evaluate(model, tok, recs, batch_size=3)
    first = encode_records(recs[:1], tok, max_length=512).examples[0]
    ids, labels = torch.tensor([first.input_ids]), torch.tensor([first.labels])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        inside = evaluate(model, tok, recs, batch_size=3)
        with torch.no_grad():
            rounded, _ = TargetNLL(model.eval())(ids, torch.ones_like(ids), labels)
    assert inside.test_loss == exact.test_loss
    assert [p["nll"] for p in inside.per_sample] == [p["nll"] for p in exact.per_sample]
    assert rounded.dtype == torch.float32 and float(rounded[0]) != pytest.approx(exact.per_sample[0]["nll"], abs=1e-6)


def test_a_bf16_model_is_scored_with_fp32_losses(tiny_llama, records_of):
    """A model loaded in bf16 (the user's choice) still gets fp32 log-probabilities and a float64 sum: finite, within
    bf16's rounding of the fp32 model's test loss."""
    model, tok = tiny_llama
    recs = records_of(6)
    exact = evaluate(model, tok, recs, batch_size=3)
    halved = evaluate(model.to(torch.bfloat16), tok, recs, batch_size=3)
    assert math.isfinite(halved.test_loss) and halved.test_loss == pytest.approx(exact.test_loss, abs=5e-2)
    assert halved.test_loss != exact.test_loss
    assert all(isinstance(p["nll"], float) for p in halved.per_sample)
