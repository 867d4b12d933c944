"""The GPU check's inference parts: the test loss at several batch sizes, transformers generation
throughput, and sentence-transformers embedding throughput."""

from __future__ import annotations

import tempfile
import time

from _gpu_setup import WORDS, Shape, build_model, build_tokenizer, make_records


def _sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def batch_invariance(shape: Shape, device: str, batch_sizes: list[int], records: int, max_length: int, tolerance: float) -> dict:
    """The test loss (synthdiv.evaluation.heldout_loss.evaluate, float32 as ``synthdiv evaluate`` runs it)
    at each batch size: right padding and the attention mask should make it the same up to rounding."""
    from synthdiv.evaluation.heldout_loss import evaluate

    tokenizer = build_tokenizer()
    data = make_records(tokenizer, records, max_length, seed=1)
    model = build_model(shape, device)
    model.config.pad_token_id = tokenizer.pad_token_id
    rows, losses, per_record = [], {}, {}
    for b in batch_sizes:
        start = time.perf_counter()
        result = evaluate(model, tokenizer, data, batch_size=b, max_length=max_length)
        losses[b] = result.test_loss
        per_record[b] = [r["nll"] for r in result.per_sample]
        rows.append({"batch_size": b, "test_loss": result.test_loss, "tokens": result.tokens, "seconds": time.perf_counter() - start})
    first = batch_sizes[0]
    loss_diff = max(abs(losses[b] - losses[first]) for b in batch_sizes)
    record_diff = max(abs(x - y) / t for b in batch_sizes for x, y, t in
                      zip(per_record[b], per_record[first], [r["tokens"] for r in result.per_sample]))
    return {"rows": rows, "max_test_loss_difference": loss_diff, "max_per_record_loss_difference": record_diff,
            "tolerance": tolerance, "passed": loss_diff <= tolerance}


def generation(shape: Shape, device: str, batch_sizes: list[int], prompt_tokens: int, new_tokens: int) -> dict:
    """``model.generate`` tokens/s: greedy, every row forced to ``new_tokens`` new tokens (random
    weights would stop at a random end-of-sequence), bf16 weights on a GPU."""
    import torch

    model = build_model(shape, device)
    if device.startswith("cuda"):
        model = model.to(torch.bfloat16)
    model.eval()
    model.generation_config.pad_token_id = 0
    rows = []
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        warm = torch.randint(10, shape.vocab, (1, prompt_tokens), generator=gen).to(device)
        model.generate(warm, max_new_tokens=4, min_new_tokens=4, do_sample=False)  # kernels and allocator, untimed
        for b in batch_sizes:
            ids = torch.randint(10, shape.vocab, (b, prompt_tokens), generator=gen).to(device)
            _sync()
            start = time.perf_counter()
            out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=new_tokens, min_new_tokens=new_tokens,
                                 do_sample=False)
            _sync()
            seconds = time.perf_counter() - start
            made = (out.shape[1] - prompt_tokens) * b
            rows.append({"batch_size": b, "new_tokens": int(made), "seconds": seconds, "tokens_per_s": made / seconds})
    return {"rows": rows, "prompt_tokens": prompt_tokens, "dtype": str(next(model.parameters()).dtype)}


def _minilm_shaped(folder: str) -> str:
    """A random-init BERT of all-MiniLM-L6-v2's shape (6 layers, 384 wide) with a word-piece
    vocabulary of its size, saved as a model folder sentence-transformers can read."""
    from pathlib import Path

    from transformers import BertConfig, BertModel, BertTokenizerFast

    words = sorted(set(WORDS))
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
    vocab += [f"[unused{i}]" for i in range(30522 - len(vocab))]
    (Path(folder) / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab_file=str(Path(folder) / "vocab.txt")).save_pretrained(folder)
    config = BertConfig(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536)
    BertModel(config).save_pretrained(folder)
    return folder


def embedding(device: str, texts: int, batch_size: int, words_per_text: int) -> dict:
    """sentence-transformers ``encode`` throughput: the registry's all-MiniLM-L6-v2 when its weights are
    installed, else a random-init model of its shape (the same cost)."""
    import random

    from sentence_transformers import SentenceTransformer, models

    rng = random.Random(0)
    data = [" ".join(rng.choice(WORDS) for _ in range(words_per_text)) for _ in range(texts)]
    with tempfile.TemporaryDirectory() as tmp:
        try:
            from synthdiv.models.registry import resolve_embedder

            model = SentenceTransformer(resolve_embedder("minilm-l6"), device=device)
            which = "all-MiniLM-L6-v2 (registry weights)"
        except Exception:  # noqa: BLE001 - the weights' package is not installed here: same shape, random weights
            body = models.Transformer(_minilm_shaped(tmp), max_seq_length=256)
            model = SentenceTransformer(modules=[body, models.Pooling(384, "mean")], device=device)
            which = "all-MiniLM-L6-v2 shape, random weights"
        model.encode(data[: 2 * batch_size], batch_size=batch_size)  # warm-up, untimed
        _sync()
        start = time.perf_counter()
        model.encode(data, batch_size=batch_size)
        _sync()
        seconds = time.perf_counter() - start
        tokens = sum(len(ids) for ids in model.tokenizer(data)["input_ids"])
    return {"model": which, "texts": texts, "batch_size": batch_size, "tokens": tokens, "seconds": seconds,
            "texts_per_s": texts / seconds, "tokens_per_s": tokens / seconds}
