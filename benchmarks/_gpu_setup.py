"""What the GPU check runs on: model shapes with random weights, an in-memory tokenizer, records
of chosen token lengths, and the FLOP count behind model FLOP utilisation (MFU).

Nothing here downloads anything: the check must run on a machine with no network and
nothing in its Hugging Face cache. Throughput does not depend on the weights' values, so
random weights of the right shape measure what the real model would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# Words the tokenizer is trained on and the records are drawn from (any English-looking text does).
WORDS = (
    "the a one day tom liked to herd cattle he did it every cow went free searched everywhere found and brought "
    "back she baked cake for her friend was delicious everyone happy police some key evidence behind library they "
    "were stuck on where go next question who delivers prologue answer actor in black cloak river bank morning "
    "walked slowly across field saw old man sitting under tree asked him about village told story long ago"
).split()


@dataclass(frozen=True)
class Shape:
    """A model shape: the architecture and the sizes that decide its cost."""

    name: str
    arch: str  # "gpt2" or "llama"
    vocab: int
    d_model: int
    layers: int
    heads: int
    kv_heads: int
    ffn: int
    positions: int


SHAPES = {
    # GPT-2 small (124M): the configuration of openai-community/gpt2
    "gpt2-124m": Shape("gpt2-124m", "gpt2", 50257, 768, 12, 12, 12, 3072, 1024),
    # Llama-3.2-1B: the configuration of meta-llama/Llama-3.2-1B (tied embeddings, grouped-query attention)
    "llama-3.2-1b": Shape("llama-3.2-1b", "llama", 128256, 2048, 16, 32, 8, 8192, 4096),
    # the --smoke shapes: a few thousand parameters a layer, so the whole check runs on a CPU in a minute or two
    "tiny-gpt2": Shape("tiny-gpt2", "gpt2", 512, 32, 2, 2, 2, 128, 512),
    "tiny-llama": Shape("tiny-llama", "llama", 512, 32, 2, 4, 2, 64, 512),
}

# Dense bf16 tensor-core peaks (TFLOP/s, no sparsity) from the vendors' data sheets; the first match of the
# device name wins. Pass --peak-tflops for a card not listed.
PEAK_BF16_TFLOPS = (
    ("H200", 989.4), ("H100 PCIe", 756.0), ("H100 NVL", 835.0), ("H100", 989.4), ("GH200", 989.4),
    ("A100", 312.0), ("A800", 312.0), ("L40S", 362.1), ("L40", 181.0), ("L4", 121.0),
)


def build_model(shape: Shape, device: str, seed: int = 0):
    """A random-init causal LM of ``shape`` in float32, created directly on ``device`` (a 1B model's
    initialisation on the CPU takes longer than the benchmark)."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    if shape.arch == "gpt2":
        config = GPT2Config(vocab_size=shape.vocab, n_positions=shape.positions, n_embd=shape.d_model, n_layer=shape.layers,
                            n_head=shape.heads, n_inner=shape.ffn)
        cls = GPT2LMHeadModel
    else:
        config = LlamaConfig(vocab_size=shape.vocab, hidden_size=shape.d_model, intermediate_size=shape.ffn,
                             num_hidden_layers=shape.layers, num_attention_heads=shape.heads, num_key_value_heads=shape.kv_heads,
                             max_position_embeddings=shape.positions, rope_theta=500000.0, tie_word_embeddings=True)
        cls = LlamaForCausalLM
    with torch.device(device):
        model = cls(config)
    return model


def build_tokenizer():
    """A byte-level BPE tokenizer trained in memory on :data:`WORDS` (fast, with character offsets,
    which the training encoder needs). Its ids are all below 512, so it fits every shape's vocabulary."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<|end|>", "<|pad|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator([" ".join(WORDS)] * 4, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|end|>", pad_token="<|pad|>")


def make_records(tokenizer, n: int, max_length: int, seed: int = 0):
    """``n`` story records of between half and all of ``max_length`` tokens (uniform), about a fifth of
    them target, so length-grouped batching and target-only loss have what real data gives them."""
    from synthdiv.records import Record

    rng = random.Random(seed)
    per_word = len(tokenizer(" ".join(WORDS))["input_ids"]) / len(WORDS)
    records = []
    for i in range(n):
        words = max(4, int(rng.uniform(0.5, 1.0) * (max_length - 2) / per_word))
        text = [rng.choice(WORDS) for _ in range(words)]
        cut = max(1, int(words * 0.8))
        records.append(Record(id=f"r{i}", task="story_completion", context=" ".join(text[:cut]) + ".",
                              target=" ".join(text[cut:]) + "."))
    return records


def matmul_params(shape: Shape) -> int:
    """Parameters a token meets in a matrix product: the blocks' projections and the LM head
    (the embedding lookup is no product; norms and biases are negligible)."""
    head_dim = shape.d_model // shape.heads
    attn = shape.d_model * (shape.heads * head_dim) * 2 + shape.d_model * (shape.kv_heads * head_dim) * 2
    mlp = shape.d_model * shape.ffn * (3 if shape.arch == "llama" else 2)  # SwiGLU has a gate projection
    return shape.layers * (attn + mlp) + shape.d_model * shape.vocab


def lora_train_flops_per_token(shape: Shape, seq_len: float) -> float:
    """Model FLOPs of one trained token under LoRA: the forward pass, 2·N + 4·layers·d·T (PaLM's count,
    appendix B, T the mean sequence length), twice: backward computes the activations' gradients (as
    much as the forward) but no gradient of the frozen weights, whose share full fine-tuning adds.
    LoRA's own matrices (rank 8) are under 1 % and left out."""
    forward = 2 * matmul_params(shape) + 4 * shape.layers * shape.d_model * seq_len
    return 2 * forward


def peak_tflops(device_name: str, given: float | None) -> tuple[float | None, str]:
    """(peak dense bf16 TFLOP/s, where it came from) for ``device_name``; (None, why) when unknown."""
    if given:
        return given, "--peak-tflops"
    for key, value in PEAK_BF16_TFLOPS:
        if key in device_name:
            return value, f"data sheet ({key})"
    return None, f"no peak known for {device_name!r}: pass --peak-tflops"
