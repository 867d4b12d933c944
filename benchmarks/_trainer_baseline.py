"""The baseline our LoRA recipe is measured against: HF Trainer + PEFT, in two configurations.

* ``padding="max_length"``: as users commonly write it: ``tokenizer(..., padding="max_length", truncation=True)``,
  labels = the input ids with padding masked (the GPU check);
* ``padding="longest"``: Trainer at its fastest on short records: the same token ids and labels as ours
  (``synthdiv.training.encoding``: loss on the target tokens), ``train_sampling_strategy="group_by_length"``
  (Trainer's LengthGroupedSampler) and ``DataCollatorForSeq2Seq`` padding each batch to its own longest row
  (bench_training.py). Packing (``DataCollatorWithFlattening``) needs an attention kernel that keeps the packed
  records apart (flash-attention's varlen); PyTorch's SDPA on a CPU does not, so it would train on other tokens.

Throughput counts real (non-pad) tokens only and leaves out the first ``warmup`` optimizer steps.
"""

from __future__ import annotations

import tempfile
import time


def _padded_rows(tokenizer, records, max_length: int) -> list[dict]:
    from synthdiv.tasks import prompt_text, target_text

    texts = [prompt_text(r) + target_text(r) + tokenizer.eos_token for r in records]
    enc = tokenizer(texts, padding="max_length", truncation=True, max_length=max_length)
    return [{"input_ids": ids, "attention_mask": m, "labels": [t if k else -100 for t, k in zip(ids, m)]}
            for ids, m in zip(enc["input_ids"], enc["attention_mask"])]


def _our_rows(tokenizer, records, max_length: int) -> list[dict]:
    from synthdiv.training.encoding import encode_records

    data = encode_records(records, tokenizer, max_length)
    return [{"input_ids": e.input_ids, "attention_mask": [1] * len(e.input_ids), "labels": e.labels} for e in data.examples]


def run_trainer_peft(model, tokenizer, records, lora: dict, *, batch_size: int, max_length: int, steps: int, warmup: int,
                     gpu: bool = False, padding: str = "max_length", bf16: bool | None = None) -> dict:
    """Train ``model`` for ``steps`` optimizer steps; tokens/s over the steps after the first ``warmup``.
    ``lora``: LoraConfig arguments (target_modules included). ``gpu``: one GPU. ``bf16``: bf16 mixed precision
    (default: on a GPU). ``padding``: "max_length" or "longest" (the module's docstring)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import DataCollatorForSeq2Seq, Trainer, TrainerCallback, TrainingArguments

    if padding == "longest":
        rows = _our_rows(tokenizer, records, max_length)
        pad = DataCollatorForSeq2Seq(tokenizer, padding="longest", label_pad_token_id=-100, return_tensors="pt")
    else:
        rows = _padded_rows(tokenizer, records, max_length)
        pad = None
    real_tokens: list[int] = []

    def collate(batch):
        out = pad(batch) if pad else {k: torch.tensor([b[k] for b in batch]) for k in ("input_ids", "attention_mask", "labels")}
        real_tokens.append(int(out["attention_mask"].sum()))
        return out

    marks: list[float] = []

    class Clock(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            if gpu:
                torch.cuda.synchronize()  # the step's kernels are queued, not done
            marks.append(time.perf_counter())

    peft_model = get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", **lora))
    with tempfile.TemporaryDirectory() as tmp:
        args = TrainingArguments(
            output_dir=tmp, per_device_train_batch_size=batch_size, learning_rate=1e-4, weight_decay=1e-4, max_steps=steps,
            logging_steps=1, report_to=[], save_strategy="no", use_cpu=not gpu, bf16=gpu if bf16 is None else bf16,
            dataloader_num_workers=0, disable_tqdm=True, seed=0,
            train_sampling_strategy="group_by_length" if padding == "longest" else "random",
        )  # fmt: skip
        _ = args.device  # sets up the devices; then one GPU, as ours: no DataParallel on a machine with several
        args._n_gpu = min(args._n_gpu, 1)
        Trainer(model=peft_model, args=args, train_dataset=rows, data_collator=collate, callbacks=[Clock()]).train()
    tokens = sum(real_tokens[warmup:steps])
    seconds = marks[steps - 1] - marks[warmup - 1] if warmup else marks[steps - 1]
    return {"steps_timed": steps - warmup, "tokens": tokens, "seconds": seconds, "tokens_per_s": tokens / seconds,
            "padding": padding, "padded_tokens": batch_size * max_length * (steps - warmup) if padding == "max_length" else None}
