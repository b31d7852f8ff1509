"""Conversations as JSON: export and import messages (tool calls, tool results, reasoning), save and load files.

The format is ours, versioned, and read strictly: an unknown field or a wrong type is an error that
names its place, e.g. ``messages[3].tool_calls[0].arguments: expected an object``.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from inference import Message
from tools import ToolCall
from tools._paths import field_path

FORMAT = "mcpagent.conversation"
VERSION = 1
_MAX_PROBLEMS = 10


class SessionError(ValueError):
    """A conversation that cannot be exported or imported. `problems` lists each as ``place: what``."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid conversation: " + "; ".join(self.problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _ToolCallModel(_Strict):
    id: str = Field(description="The call's id; the tool message answering it carries the same `tool_call_id`.")
    name: str = Field(description="The tool's name as the model called it.")
    arguments: dict[str, Any] = Field(description="The decoded JSON arguments object.")


class _MessageModel(_Strict):
    role: Literal["system", "user", "assistant", "tool"] = Field(description="Who speaks.")
    content: str | None = Field(default=None, description="The text; absent for a turn of tool calls only.")
    reasoning: str | None = Field(default=None, description="The model's reasoning, kept apart from the content.")
    tool_calls: list[_ToolCallModel] = Field(default_factory=list, description="Calls an assistant turn made.")
    tool_call_id: str | None = Field(default=None, description="On a tool message: the call it answers.")
    name: str | None = Field(default=None, description="On a tool message: the tool that answered.")


class _ConversationModel(_Strict):
    format: Literal["mcpagent.conversation"] = Field(description="Marks the file as a conversation.")
    version: int = Field(description="The format version; this build reads 1.")
    meta: dict[str, Any] = Field(default_factory=dict, description="Free data of the caller (model, date, ...).")
    messages: list[_MessageModel] = Field(description="The conversation, oldest first.")


def export_conversation(messages: Sequence[Message], *, meta: Mapping[str, Any] | None = None) -> str:
    """A conversation as JSON text (UTF-8 safe, indented).

    Args:
        messages: The conversation, e.g. `RunResult.messages`.
        meta: Anything JSON the caller wants kept with it.

    Returns:
        ``{"format": "mcpagent.conversation", "version": 1, "meta": {...}, "messages": [...]}``; fields a
        message does not use (None, no tool calls) are left out.

    Raises:
        SessionError: `meta` or a call's arguments hold a value JSON cannot write (NaN, an object).
    """
    return _dump(_document(messages, meta), ensure_ascii=False)


def import_conversation(text: str) -> tuple[list[Message], dict[str, Any]]:
    """Read a conversation written by `export_conversation`.

    Args:
        text: The JSON text.

    Returns:
        The messages and the meta object; ``import_conversation(export_conversation(m, meta=x)) == (m, x)``.

    Raises:
        SessionError: Not JSON, another format or version, an unknown field, or a wrong type; each problem
            names its place.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SessionError([f"not JSON: {exc}"]) from exc
    if isinstance(data, dict) and data.get("format") == FORMAT and "version" in data:
        version = data["version"]
        if type(version) is not int or version != VERSION:  # True == 1, and "1" is not a version either
            raise SessionError([f"version: {version!r} is not supported (this build reads {VERSION})"])
    try:
        model = _ConversationModel.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(error) for error in exc.errors()]
        if len(problems) > _MAX_PROBLEMS:
            problems[_MAX_PROBLEMS:] = [f"and {len(problems) - _MAX_PROBLEMS} more problems"]
        raise SessionError(problems) from exc
    return [_message(m) for m in model.messages], model.meta


def save(path: str | os.PathLike[str], messages: Sequence[Message], *, meta: Mapping[str, Any] | None = None) -> None:
    """Write a conversation to a file atomically: a temporary file next to it, then a rename.

    A reader never sees half a file, and a crash leaves the old file as it was. Blocking: from async code
    call it with `anyio.to_thread.run_sync`.

    Args:
        path: Where to write.
        messages: The conversation.
        meta: Anything JSON the caller wants kept with it.

    Raises:
        SessionError: As `export_conversation`.
        OSError: The directory is missing or not writable.
    """
    target = Path(path)
    document = _document(messages, meta)
    try:
        data = _dump(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: JSON escapes keep it exactly, UTF-8 cannot
        data = _dump(document, ensure_ascii=True).encode("ascii")
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def load(path: str | os.PathLike[str]) -> tuple[list[Message], dict[str, Any]]:
    """Read a conversation file written by `save`.

    Args:
        path: The file.

    Returns:
        The messages and the meta object.

    Raises:
        SessionError: The file is not a valid conversation (the message names the file).
        OSError: The file cannot be read.
    """
    try:
        return import_conversation(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise SessionError([f"{os.fspath(path)}: not UTF-8 text ({exc.reason})"]) from exc
    except SessionError as exc:
        raise SessionError([f"{os.fspath(path)}: {p}" for p in exc.problems]) from exc


def _document(messages: Sequence[Message], meta: Mapping[str, Any] | None) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "meta": dict(meta or {}), "messages": [_wire(m) for m in messages]}


def _wire(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role}
    for key in ("content", "reasoning"):
        value = getattr(message, key)
        if value is not None:
            out[key] = value
    if message.tool_calls:
        out["tool_calls"] = [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in message.tool_calls]
    for key in ("tool_call_id", "name"):
        value = getattr(message, key)
        if value is not None:
            out[key] = value
    return out


def _dump(document: dict[str, Any], *, ensure_ascii: bool) -> str:
    try:
        return json.dumps(document, ensure_ascii=ensure_ascii, allow_nan=False, indent=1)
    except (TypeError, ValueError) as exc:  # NaN would not read back equal; other objects not at all
        raise SessionError([f"cannot be written as JSON: {exc}"]) from exc


def _message(model: _MessageModel) -> Message:
    return Message(
        role=model.role,
        content=model.content,
        reasoning=model.reasoning,
        tool_calls=tuple(ToolCall(id=c.id, name=c.name, arguments=c.arguments) for c in model.tool_calls),
        tool_call_id=model.tool_call_id,
        name=model.name,
    )


_EXPECTED = {
    "dict_type": "expected an object",
    "model_type": "expected an object",
    "list_type": "expected an array",
    "string_type": "expected a string",
    "int_type": "expected an integer",
    "missing": "required field missing",
    "extra_forbidden": "unknown field",
}


def _problem(error: Mapping[str, Any]) -> str:
    place = field_path(error["loc"])
    kind = error["type"]
    if kind == "literal_error":
        what = f"{error['input']!r} is not one of {error['ctx']['expected']}"
    else:
        what = _EXPECTED.get(kind, error["msg"])
    return f"{place or 'conversation'}: {what}"
