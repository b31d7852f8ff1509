"""Tiny random-weight llama models as ctransformers reads them: legacy GGML containers and early GGUF.

Written with struct and numpy, as a converted LLaMA checkpoint looked in 2023: the SentencePiece
vocabulary layout (0 <unk>, 1 <s>, 2 </s>, the 256 byte tokens, a few merges) and the tensors the
llama loader asks for, by name and shape. The models generate noise, quickly (~50 us a token).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

MAGICS = {"ggml": 0x67676D6C, "ggmf": 0x67676D66, "ggjt": 0x67676A74}
F32, F16 = 0, 1
MERGES = ("he", "ll", "lo", "hel", "hell", "hello", "im", "as", "si", "st")
_LEGACY_NAMES = ("tok_embeddings", "norm", "output", "attention_norm", "attention.wq", "attention.wk", "attention.wv",
                 "attention.wo", "ffn_norm", "feed_forward.w1", "feed_forward.w2", "feed_forward.w3")  # fmt: skip
_GGUF_NAMES = ("token_embd", "output_norm", "output", "attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
               "ffn_norm", "ffn_gate", "ffn_down", "ffn_up")  # fmt: skip


def feed_forward_size(n_embd: int, n_mult: int) -> int:
    """llama.cpp's pre-GGUF rule: 2/3 of 4 * n_embd, rounded up to a multiple of n_mult."""
    return (2 * (4 * n_embd) // 3 + n_mult - 1) // n_mult * n_mult


def _tensors(
    names: tuple[str, ...], layer: str, *, n_vocab: int, n_embd: int, n_ff: int, n_layer: int
) -> Iterator[tuple[str, tuple[int, ...]]]:
    """(name, numpy shape) of every tensor: numpy shapes are row-major, the reverse of ggml's order."""
    shapes: list[tuple[int, ...]] = [(n_vocab, n_embd), (n_embd,), (n_vocab, n_embd)]
    yield from ((f"{name}.weight", shape) for name, shape in zip(names[:3], shapes, strict=True))
    per_layer: list[tuple[int, ...]] = [
        (n_embd,),
        *[(n_embd, n_embd)] * 4,
        (n_embd,),
        (n_ff, n_embd),
        (n_embd, n_ff),
        (n_ff, n_embd),
    ]
    for i in range(n_layer):
        yield from ((f"{layer.format(i=i)}{name}.weight", s) for name, s in zip(names[3:], per_layer, strict=True))


def _weights(shape: tuple[int, ...], rng: np.random.Generator, dtype: type) -> np.ndarray[Any, Any]:
    if len(shape) == 1:
        return np.ones(shape, dtype=np.float32)  # norms stay f32, as in real files
    return rng.normal(0.0, 0.5, size=shape).astype(dtype)


def write_tiny_llama(
    path: Path,
    *,
    n_embd: int = 32,
    n_head: int = 4,
    n_layer: int = 2,
    n_mult: int = 32,
    f16: bool = True,
    seed: int = 0,
    container: str = "ggjt",
    version: int = 3,
    omit_bytes: bytes = b"",
    script: Sequence[str] = (),
) -> Path:
    """A random-weight llama in a legacy GGML container (`ggml`, `ggmf` v1, `ggjt` v1-v3): ~90 kB.

    `omit_bytes` replaces those byte tokens with placeholders: a vocabulary real files never have.
    `script` makes a model that, sampled greedily after a prompt ending in a newline, writes these
    pieces (added to the vocabulary, each at least two characters) and then its end-of-sequence token.
    """
    rng = np.random.default_rng(seed)
    byte_tokens = [f"<omitted {b}>".encode() if b in omit_bytes else bytes([b]) for b in range(256)]
    vocab = [" \u2047 ".encode(), b"", b"", *byte_tokens, *(m.encode() for m in MERGES)]
    scripted = _script_chain(len(vocab), script, n_embd) if script else []
    vocab += [piece.encode() for piece in script]
    n_ff = feed_forward_size(n_embd, n_mult)
    with path.open("wb") as file:
        file.write(struct.pack("<I", MAGICS[container]))
        if container != "ggml":
            file.write(struct.pack("<I", version))
        ftype = F16 if f16 else F32
        file.write(struct.pack("<7I", len(vocab), n_embd, n_mult, n_head, n_layer, n_embd // n_head, ftype))
        for i, text in enumerate(vocab):
            file.write(struct.pack("<I", len(text)) + text + struct.pack("<f", -float(i)))
        sizes = {"n_vocab": len(vocab), "n_embd": n_embd, "n_ff": n_ff, "n_layer": n_layer}
        for name, shape in _tensors(_LEGACY_NAMES, "layers.{i}.", **sizes):
            data = _weights(shape, rng, np.float16 if f16 else np.float32)
            if scripted:
                data = _scripted_weights(name, data, scripted)
            encoded = name.encode()
            kind = F32 if data.dtype == np.float32 else F16
            file.write(struct.pack(f"<3I{len(shape)}I", len(shape), len(encoded), kind, *reversed(shape)) + encoded)
            if container == "ggjt":
                file.write(b"\0" * (-file.tell() % 32))
            file.write(data.tobytes())
    return path


_NEWLINE, _EOS = 3 + ord("\n"), 2


def _script_chain(first_id: int, script: Sequence[str], n_embd: int) -> list[tuple[int, int]]:
    """(token, the token that follows it) for each step of the script: newline, the pieces, end of sequence."""
    if any(len(piece) < 2 for piece in script) or len(script) >= n_embd:
        raise ValueError("script pieces must be at least two characters, and fewer than n_embd")
    ids = [_NEWLINE, *range(first_id, first_id + len(script)), _EOS]
    return list(zip(ids, ids[1:], strict=False))


def _scripted_weights(
    name: str, data: np.ndarray[Any, Any], chain: list[tuple[int, int]]
) -> np.ndarray[Any, Any]:
    """A bigram table: every layer adds nothing (its output projections are zero), so the next token
    depends on the last one only; step k's token embeds as the k-th unit vector, which the output
    matrix maps to the following token with a logit far above the random rest."""
    if name in ("tok_embeddings.weight", "output.weight"):
        data = data.copy()
        for k, (token, following) in enumerate(chain):
            if name == "tok_embeddings.weight":
                data[token] = 0
                data[token, k] = 1
            else:
                data[following] = 0
                data[following, k] = 20
        return data
    if data.ndim == 2:
        return np.zeros_like(data)
    return data


def write_tiny_gguf(
    path: Path, *, version: int = 2, n_embd: int = 32, n_head: int = 4, n_layer: int = 1, n_ff: int = 96, seed: int = 0
) -> Path:
    """A random-weight llama as GGUF v1, v2 or v3 with a SentencePiece vocabulary (f32 tensors): ~130 kB."""
    rng = np.random.default_rng(seed)
    count = "<I" if version == 1 else "<Q"  # GGUF v1 has 32-bit counts, lengths and dimensions

    def string(value: str) -> bytes:
        return struct.pack(count, len(value.encode())) + value.encode()

    def array(kind: int, items: list[bytes]) -> bytes:
        return struct.pack("<I", kind) + struct.pack(count, len(items)) + b"".join(items)

    pieces = ["\u2581", "\u2581hello", *MERGES]  # U+2581 is SentencePiece's space
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)] + pieces
    types = [2, 3, 3] + [6] * 256 + [1] * len(pieces)  # unknown, control, byte, normal
    u32 = 4
    metadata: list[tuple[str, int, bytes]] = [
        ("general.architecture", 8, string("llama")),
        ("general.name", 8, string("tiny")),
        ("llama.context_length", u32, struct.pack("<I", 256)),
        ("llama.embedding_length", u32, struct.pack("<I", n_embd)),
        ("llama.feed_forward_length", u32, struct.pack("<I", n_ff)),
        ("llama.attention.head_count", u32, struct.pack("<I", n_head)),
        ("llama.block_count", u32, struct.pack("<I", n_layer)),
        ("llama.rope.dimension_count", u32, struct.pack("<I", n_embd // n_head)),
        ("llama.attention.layer_norm_rms_epsilon", 6, struct.pack("<f", 1e-5)),
        ("tokenizer.ggml.model", 8, string("llama")),
        ("tokenizer.ggml.tokens", 9, array(8, [string(t) for t in tokens])),
        ("tokenizer.ggml.scores", 9, array(6, [struct.pack("<f", -float(i)) for i in range(len(tokens))])),
        ("tokenizer.ggml.token_type", 9, array(5, [struct.pack("<i", t) for t in types])),
        ("tokenizer.ggml.bos_token_id", u32, struct.pack("<I", 1)),
        ("tokenizer.ggml.eos_token_id", u32, struct.pack("<I", 2)),
    ]
    infos, blobs, offset = [], [], 0
    sizes = {"n_vocab": len(tokens), "n_embd": n_embd, "n_ff": n_ff, "n_layer": n_layer}
    for name, shape in _tensors(_GGUF_NAMES, "blk.{i}.", **sizes):
        data = _weights(shape, rng, np.float32).tobytes()
        dims = struct.pack(f"{count[0]}{len(shape)}{count[1]}", *reversed(shape))
        infos.append(string(name) + struct.pack("<I", len(shape)) + dims + struct.pack("<IQ", F32, offset))
        blobs.append(data + b"\0" * (-len(data) % 32))
        offset += len(blobs[-1])
    head = b"GGUF" + struct.pack("<I", version) + struct.pack(count, len(infos)) + struct.pack(count, len(metadata))
    head += b"".join(string(key) + struct.pack("<I", kind) + value for key, kind, value in metadata) + b"".join(infos)
    path.write_bytes(head + b"\0" * (-len(head) % 32) + b"".join(blobs))
    return path
