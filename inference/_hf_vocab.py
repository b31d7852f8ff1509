"""A Hugging Face `tokenizer.json` as a GGUF vocabulary, the way llama.cpp's converter writes it.

Byte-level BPE (GPT-2, Llama 3, SmolLM, Qwen) becomes llama.cpp's `gpt2` model with merges and the
pre-tokenizer named by its regex; SentencePiece-style BPE with byte fallback (Gemma, Mistral, Llama 2)
becomes the `llama` model with scores that order merges as the BPE ranks do. Special tokens, BOS/EOS
flags and the chat template come from `tokenizer_config.json` through gguf's `SpecialVocab`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gguf

from inference.errors import ModelLoadError

# llama.cpp's pre-tokenizer names (src/llama-vocab.cpp), told apart by the regexes in tokenizer.json.
_LLAMA3_DIGITS = "\\p{N}{1,3}"
_QWEN2_DIGITS = "|\\p{N}|"
_BYTE_TOKEN = "<0x"


def add_vocab(writer: gguf.GGUFWriter, folder: Path, *, n_vocab: int) -> None:
    """Write the tokenizer of the model in `folder` into `writer`, padded to `n_vocab` tokens.

    Raises:
        ModelLoadError: no `tokenizer.json`, or a tokenizer llama.cpp cannot reproduce (named in the error).
    """
    path = folder / "tokenizer.json"
    if not path.is_file():
        raise ModelLoadError(str(path), "missing: the converter reads the tokenizer from tokenizer.json")
    try:
        tokenizer = json.loads(path.read_text(encoding="utf-8"))
        model = tokenizer["model"]
        vocab: dict[str, int] = model["vocab"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ModelLoadError(str(path), f"not a tokenizers file: {exc}") from None
    if model.get("type") != "BPE":
        raise ModelLoadError(str(path), f"tokenizer model {model.get('type')!r} is not supported (only BPE)")
    added = {int(t["id"]): t for t in tokenizer.get("added_tokens", [])}
    ids = {i: tok for tok, i in vocab.items()} | {i: t["content"] for i, t in added.items()}
    n_vocab = max(n_vocab, max(ids) + 1)
    tokens = [ids.get(i, f"[PAD{i}]") for i in range(n_vocab)]
    if _is_byte_level(tokenizer):
        pre = _pre_tokenizer(tokenizer, path)
        writer.add_tokenizer_model("gpt2")
        writer.add_tokenizer_pre(pre)
        types = [_token_type(i, ids, added) for i in range(n_vocab)]
        writer.add_token_list(tokens)
        writer.add_token_types(types)
    elif model.get("byte_fallback"):
        writer.add_tokenizer_model("llama")
        writer.add_tokenizer_pre("default")
        writer.add_token_list(tokens)
        writer.add_token_scores(_scores(tokens, model.get("merges", [])))
        writer.add_token_types(_spm_types(tokens, ids, added, model.get("unk_token")))
        writer.add_add_space_prefix(_prepends_space(tokenizer))
    else:
        raise ModelLoadError(str(path), "a BPE tokenizer that is neither byte-level nor byte-fallback")
    special = gguf.SpecialVocab(folder, load_merges=_is_byte_level(tokenizer), n_vocab=n_vocab)
    special.add_to_gguf(writer, quiet=True)


def _components(node: Any) -> list[dict[str, Any]]:
    """A normalizer or pre-tokenizer and, for a Sequence, its members."""
    if not isinstance(node, dict):
        return []
    inner = node.get("pretokenizers") or node.get("normalizers") or []
    return [node, *(c for child in inner for c in _components(child))]


def _is_byte_level(tokenizer: dict[str, Any]) -> bool:
    parts = _components(tokenizer.get("pre_tokenizer")) + _components(tokenizer.get("decoder"))
    return any(p.get("type") == "ByteLevel" for p in parts)


def _pre_tokenizer(tokenizer: dict[str, Any], path: Path) -> str:
    """llama.cpp's name for the byte-level pre-tokenizer (the regex it splits text with)."""
    parts = _components(tokenizer.get("pre_tokenizer"))
    regexes = [str(p.get("pattern", {}).get("Regex", "")) for p in parts if p.get("type") == "Split"]
    kinds = [p.get("type") for p in parts if p.get("type") != "Sequence"]
    if any(_LLAMA3_DIGITS in r for r in regexes):
        return "llama-bpe"
    if any(_QWEN2_DIGITS in r for r in regexes):
        return "qwen2"
    if kinds == ["Digits", "ByteLevel"] and parts[1].get("individual_digits"):
        return "smollm"
    if kinds == ["ByteLevel"] and parts[0].get("use_regex", True):
        return "gpt-2"
    shown = json.dumps(tokenizer.get("pre_tokenizer"))[:200]
    raise ModelLoadError(
        str(path), f"pre-tokenizer {shown} is none llama.cpp knows here (llama-bpe, qwen2, smollm, gpt-2)"
    )


def _token_type(i: int, ids: dict[int, str], added: dict[int, Any]) -> int:
    if i not in ids:
        return gguf.TokenType.UNUSED
    if i in added:
        return gguf.TokenType.CONTROL if added[i].get("special") else gguf.TokenType.USER_DEFINED
    return gguf.TokenType.NORMAL


def _spm_types(tokens: list[str], ids: dict[int, str], added: dict[int, Any], unk: str | None) -> list[int]:
    types = []
    for i, token in enumerate(tokens):
        kind = _token_type(i, ids, added)
        if kind == gguf.TokenType.NORMAL and token == unk:
            kind = gguf.TokenType.UNKNOWN
        elif kind == gguf.TokenType.NORMAL and token.startswith(_BYTE_TOKEN) and len(token) == 6:
            kind = gguf.TokenType.BYTE
        types.append(kind)
    return types


def _scores(tokens: list[str], merges: list[str] | list[list[str]]) -> list[float]:
    """SentencePiece merges the adjacent pair whose result scores highest; BPE the pair ranked first. A token
    made by the merge of rank r scores -r, so both pick the same pair; tokens no merge makes score 0."""
    rank: dict[str, int] = {}
    for r, merge in enumerate(merges):
        left, right = merge.split(" ", 1) if isinstance(merge, str) else merge
        rank.setdefault(left + right, r)
    return [-float(rank[t] + 1) if t in rank else 0.0 for t in tokens]


def _prepends_space(tokenizer: dict[str, Any]) -> bool:
    parts = _components(tokenizer.get("normalizer")) + _components(tokenizer.get("pre_tokenizer"))
    for part in parts:
        if part.get("type") == "Prepend":
            return True
        if part.get("type") == "Metaspace":
            return part.get("prepend_scheme", "always") != "never" and part.get("add_prefix_space", True)
    return False
