"""Tiny random-weight Hugging Face model folders (llama family and Gemma 3) and PEFT adapters, written with the
real libraries: `tokenizers` trains a real tokenizer.json, `safetensors` writes the weights."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Name a fruit: apple, banana, cherry, and 42 grapes!",
    "Tools are called with JSON arguments such as {\"city\": \"Tokyo\"}.",
    "What is the current time in Asia/Tokyo? It is 12:30 now.",
    "Hello world. Bonjour le monde. Hola mundo. 1234567890",
] * 20
SAMPLES = ["Hello world!", "The lazy dog jumps 1234 times.", "  spaces  and\nnewlines\t", "Tokyo? apple, banana",
           "unseen wörds ünïcode 東京 🙂", ""]
CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
GEMMA = (
    "{{ bos_token }}{% for m in messages %}<start_of_turn>{{ 'model' if m['role'] == 'assistant' else 'user' }}\n"
    "{{ m['content'] }}<end_of_turn>\n{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)
HIDDEN, LAYERS, HEADS, KV_HEADS, HEAD_DIM, FFN = 256, 2, 4, 2, 64, 512


def llama_tokenizer(folder: Path) -> Tokenizer:
    """A byte-level BPE with SmolLM's pre-tokenizer (single digits, then GPT-2's regex) and ChatML specials."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tokenizer.decoder = decoders.ByteLevel()
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(
        vocab_size=700, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(CORPUS, trainer)
    tokenizer.save(str(folder / "tokenizer.json"))
    config = {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "add_bos_token": False,
              "chat_template": CHATML, "tokenizer_class": "GPT2Tokenizer"}
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    return tokenizer


def gemma_tokenizer(folder: Path) -> Tokenizer:
    """A SentencePiece-style BPE as Gemma's tokenizer.json has it: spaces as ▁, byte fallback, <bos> prepended."""
    trained = Tokenizer(models.BPE())
    trained.normalizer = normalizers.Replace(" ", "▁")
    trained.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=600, show_progress=False))
    learned = json.loads(trained.to_str())["model"]
    specials = ["<pad>", "<eos>", "<bos>", "<unk>"]
    vocab = {tok: i for i, tok in enumerate([*specials, *(f"<0x{b:02X}>" for b in range(256))])}
    for token in sorted(learned["vocab"], key=learned["vocab"].get):
        vocab.setdefault(token, len(vocab))
    for token in ("<start_of_turn>", "<end_of_turn>"):
        vocab[token] = len(vocab)
    added = [
        {"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
         "special": True}
        for t in [*specials, "<start_of_turn>", "<end_of_turn>"]
    ]
    bos = {"SpecialToken": {"id": "<bos>", "type_id": 0}}
    spec = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": "▁"},
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [bos, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [bos, {"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<bos>": {"id": "<bos>", "ids": [2], "tokens": ["<bos>"]}},
        },
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": vocab, "merges": learned["merges"]},
    }
    (folder / "tokenizer.json").write_text(json.dumps(spec, ensure_ascii=False))
    config = {"bos_token": "<bos>", "eos_token": "<eos>", "unk_token": "<unk>", "pad_token": "<pad>",
              "add_bos_token": True, "add_eos_token": False, "chat_template": GEMMA}
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    return Tokenizer.from_file(str(folder / "tokenizer.json"))


def _weights(names_shapes: dict[str, tuple[int, ...]], dtype: type, seed: int, scale: float) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape in names_shapes.items():
        values = np.ones(shape) if "norm" in name else rng.standard_normal(shape) * scale
        out[name] = values.astype(dtype)
    return out


def _layer_shapes(prefix: str, *, gemma: bool) -> dict[str, tuple[int, ...]]:
    q, kv = HEADS * HEAD_DIM, KV_HEADS * HEAD_DIM
    shapes = {
        f"{prefix}.input_layernorm.weight": (HIDDEN,),
        f"{prefix}.post_attention_layernorm.weight": (HIDDEN,),
        f"{prefix}.self_attn.q_proj.weight": (q, HIDDEN),
        f"{prefix}.self_attn.k_proj.weight": (kv, HIDDEN),
        f"{prefix}.self_attn.v_proj.weight": (kv, HIDDEN),
        f"{prefix}.self_attn.o_proj.weight": (HIDDEN, q),
        f"{prefix}.mlp.gate_proj.weight": (FFN, HIDDEN),
        f"{prefix}.mlp.up_proj.weight": (FFN, HIDDEN),
        f"{prefix}.mlp.down_proj.weight": (HIDDEN, FFN),
    }
    if gemma:
        shapes |= {
            f"{prefix}.pre_feedforward_layernorm.weight": (HIDDEN,),
            f"{prefix}.post_feedforward_layernorm.weight": (HIDDEN,),
            f"{prefix}.self_attn.q_norm.weight": (HEAD_DIM,),
            f"{prefix}.self_attn.k_norm.weight": (HEAD_DIM,),
        }
    return shapes


def write_model(folder: Path, family: str = "llama", *, seed: int = 0, dtype: type = np.float16) -> Tokenizer:
    """A tiny random-weight model folder: config.json, tokenizer files and model.safetensors. `family`:
    `llama` (LlamaForCausalLM, SmolLM-style tokenizer) or `gemma3` (Gemma3ForCausalLM)."""
    folder.mkdir(parents=True, exist_ok=True)
    gemma = family == "gemma3"
    tokenizer = gemma_tokenizer(folder) if gemma else llama_tokenizer(folder)
    vocab = tokenizer.get_vocab_size(with_added_tokens=True)
    shapes: dict[str, tuple[int, ...]] = {"model.embed_tokens.weight": (vocab, HIDDEN), "model.norm.weight": (HIDDEN,)}
    for layer in range(LAYERS):
        shapes |= _layer_shapes(f"model.layers.{layer}", gemma=gemma)
    tensors = _weights(shapes, dtype, seed, 0.5 if not gemma else 0.2)
    if gemma:  # Gemma stores RMSNorm weights as offsets from one
        tensors = {k: (v * 0 if "norm" in k else v) for k, v in tensors.items()}
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    config: dict[str, object] = {
        "hidden_size": HIDDEN, "intermediate_size": FFN, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
        "num_key_value_heads": KV_HEADS, "vocab_size": vocab, "max_position_embeddings": 2048,
        "rms_norm_eps": 1e-6, "tie_word_embeddings": True, "torch_dtype": "float16",
    }
    if gemma:
        config |= {"architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text", "head_dim": HEAD_DIM,
                   "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0, "sliding_window": 512,
                   "query_pre_attn_scalar": HEAD_DIM, "bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0}
    else:
        config |= {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "rope_theta": 10000.0,
                   "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu"}
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    return tokenizer


def write_adapter(folder: Path, *, scale: float = 1.0, rank: int = 4, seed: int = 1) -> Path:
    """A PEFT LoRA adapter on every q_proj and v_proj of `write_model`'s llama (B scaled by `scale`)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    tensors = {}
    for layer in range(LAYERS):
        for module, out in (("q_proj", HEADS * HEAD_DIM), ("v_proj", KV_HEADS * HEAD_DIM)):
            name = f"base_model.model.model.layers.{layer}.self_attn.{module}"
            tensors[f"{name}.lora_A.weight"] = rng.standard_normal((rank, HIDDEN)).astype(np.float32)
            tensors[f"{name}.lora_B.weight"] = (rng.standard_normal((out, rank)) * scale).astype(np.float32)
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    config = {"peft_type": "LORA", "r": rank, "lora_alpha": 2 * rank, "target_modules": ["q_proj", "v_proj"],
              "lora_dropout": 0.0, "bias": "none", "task_type": "CAUSAL_LM", "use_rslora": False}
    (folder / "adapter_config.json").write_text(json.dumps(config))
    return folder
