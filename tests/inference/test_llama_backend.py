"""The llama.cpp backend on the real embedded SmolLM2-135M GGUF."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from inference import (
    ChatRequest,
    GrammarError,
    Message,
    ModelLoadError,
    ModelNotFoundError,
    NamedTool,
    SamplingParams,
    TextDelta,
)
from inference.llama_cpp_backend import LlamaCppBackend
from inference.llama_cpp_grammar import compile_grammar, tool_call_gbnf
from inference.models import resolve_model
from tools import ToolSpec

CALC = ToolSpec(
    name="calc_evaluate",
    description="Evaluate an arithmetic expression such as '(2 + 3) * 4'.",
    input_schema={"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]},
)
CLOCK = ToolSpec(
    name="clock_now",
    description="The current date and time in an IANA time zone.",
    input_schema={
        "type": "object",
        "properties": {"timezone": {"type": "string", "description": "A zone such as 'Europe/Paris'."}},
    },
)
NESTED = ToolSpec(
    name="book",
    description="Book a trip.",
    input_schema={
        "type": "object",
        "properties": {
            "when": {"type": "object", "properties": {"day": {"type": "integer", "minimum": 1, "maximum": 31},
                                                      "month": {"enum": ["jan", "feb"]}},
                     "required": ["day", "month"]},
            "people": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
            "window": {"type": "boolean"},
        },
        "required": ["when", "people"],
    },
)


def _ask(text: str, **kwargs: object) -> ChatRequest:
    return ChatRequest(messages=[Message(role="user", content=text)], **kwargs)  # type: ignore[arg-type]


def test_embedded_alias_resolves_without_importing_its_package() -> None:
    path = resolve_model("smollm2-135m")
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50_000_000


def test_missing_model_names_every_place_looked(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    with pytest.raises(ModelNotFoundError) as info:
        resolve_model(missing)
    assert str(missing) in str(info.value)
    assert "smollm2-135m" in str(info.value)  # it also lists the aliases it knows


async def test_not_a_gguf_and_truncated_gguf_give_load_errors(tmp_path: Path) -> None:
    text = tmp_path / "notes.gguf"
    text.write_text("hello")
    with pytest.raises(ModelLoadError, match="not a GGUF file"):
        async with LlamaCppBackend(text):
            pass
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(resolve_model().read_bytes()[:4096])
    with pytest.raises(ModelLoadError) as info:
        async with LlamaCppBackend(truncated):
            pass
    assert str(truncated) in str(info.value)


async def test_required_tool_choice_emits_calls_that_validate(backend: LlamaCppBackend) -> None:
    for question, tools in [("What is 2 + 2?", [CALC, CLOCK]), ("Book a trip for Ann on 3 jan", [NESTED])]:
        response = await backend.complete(_ask(question, tools=tools, tool_choice="required"))
        assert response.finish_reason == "tool_calls"
        assert response.message.tool_calls
        specs = {t.name: t for t in tools}
        for call in response.message.tool_calls:
            assert len(call.id) == 9 and call.id.isalnum()
            jsonschema.validate(call.arguments, dict(specs[call.name].input_schema))


async def test_named_tool_choice_forces_that_tool(backend: LlamaCppBackend) -> None:
    response = await backend.complete(_ask("Hello!", tools=[CALC, CLOCK], tool_choice=NamedTool(name="clock_now")))
    assert [c.name for c in response.message.tool_calls] == ["clock_now"]


async def test_tool_choice_none_never_calls(backend: LlamaCppBackend) -> None:
    response = await backend.complete(_ask("Use calc_evaluate on 2+2", tools=[CALC], tool_choice="none"))
    assert response.message.tool_calls == ()
    assert response.message.content and not response.message.content.startswith("<tool_call>")


async def test_a_new_conversation_with_the_same_tools_reuses_the_cached_prefix(backend: LlamaCppBackend) -> None:
    first = await backend.complete(_ask("Say hi.", tools=[CALC, CLOCK], sampling=SamplingParams(max_tokens=8)))
    second = await backend.complete(_ask("Say bye.", tools=[CALC, CLOCK], sampling=SamplingParams(max_tokens=8)))
    assert first.usage.prompt_tokens > 300
    # Everything up to the user's question (system prompt, tools) is already in the KV cache.
    assert second.usage.cached_tokens >= second.usage.prompt_tokens - 40


async def test_stream_yields_text_then_the_response(backend: LlamaCppBackend) -> None:
    async with backend.stream(_ask("Count to three.", sampling=SamplingParams(max_tokens=12))) as items:
        seen = [item async for item in items]
    deltas = [i.text for i in seen if isinstance(i, TextDelta)]
    done = seen[-1]
    assert done.type == "done"
    assert "".join(deltas).strip() == done.response.message.content
    assert done.response.usage.completion_tokens == 12 and done.response.finish_reason == "length"


async def test_invalid_grammar_is_an_error_not_a_crash(backend: LlamaCppBackend) -> None:
    assert backend._llm is not None
    with pytest.raises(GrammarError, match="could not parse"):
        compile_grammar(backend._llm, 'root ::= "a" undefined-rule')
    with pytest.raises(GrammarError, match="not among the tools"):
        tool_call_gbnf([CALC], NamedTool(name="nope"), 1)


@pytest.mark.parametrize("style", ["list", "blocks"])
def test_a_schema_the_converter_rejects_is_a_grammar_error_naming_the_tool(style: str) -> None:
    odd = ToolSpec(name="odd", description="x", input_schema={"": None})
    with pytest.raises(GrammarError, match="tool 'odd': JSON schema not supported"):
        tool_call_gbnf([CALC, odd], "auto", 2, style=style)


def test_tool_grammar_compiles_for_100_nested_tools(backend: LlamaCppBackend) -> None:
    tools = [
        ToolSpec(name=f"tool_{i}", description="x", input_schema=dict(NESTED.input_schema)) for i in range(100)
    ]
    gbnf = tool_call_gbnf(tools, "auto", 4)
    assert gbnf is not None and gbnf.count("tool_") >= 100
    assert backend._llm is not None
    compile_grammar(backend._llm, gbnf)


async def test_saved_prefix_state_serves_a_new_conversation_after_another_evicted_it(
    backend: LlamaCppBackend,
) -> None:
    tools = [CALC, CLOCK]
    short = SamplingParams(max_tokens=2)
    await backend.complete(_ask("Hello.", tools=tools, sampling=short))
    await backend.complete(_ask("Unrelated, no tools.", sampling=short))  # the KV cache no longer holds the tools
    again = await backend.complete(_ask("What is 3 * 3?", tools=tools, sampling=short))
    prefix = backend.prepare(_ask("What is 3 * 3?", tools=tools)).prefix_tokens
    assert prefix > 300 and again.usage.cached_tokens >= prefix


async def test_overflow_is_a_clear_error_or_trims_the_oldest_tool_results() -> None:
    from inference import ContextOverflowError
    from tools import ToolCall

    call = ToolCall(id="abcdefgh1", name="calc_evaluate", arguments={"expression": "1"})
    history = [
        Message(role="user", content="Compute things."),
        Message(role="assistant", tool_calls=(call,)),
        Message(role="tool", content="word " * 900, tool_call_id="abcdefgh1", name="calc_evaluate"),
        Message(role="user", content="And now?"),
    ]
    request = ChatRequest(messages=history, tools=[CALC], sampling=SamplingParams(max_tokens=4))
    async with LlamaCppBackend(n_ctx=1024) as small:
        with pytest.raises(ContextOverflowError) as info:
            await small.complete(request)
        assert info.value.n_ctx == 1024 and info.value.prompt_tokens > 1024
        assert f"prompt of {info.value.prompt_tokens} tokens" in str(info.value)
    async with LlamaCppBackend(n_ctx=1024, trim_tool_results=True) as trimming:
        prepared = trimming.prepare(request)
        assert prepared.trimmed == 1 and "[tool result of 4500 characters trimmed" in prepared.prompt
        response = await trimming.complete(request)
        assert response.usage.prompt_tokens == len(prepared.tokens) < 1024


async def test_json_schema_and_gbnf_requests_constrain_the_answer(backend: LlamaCppBackend) -> None:
    import json

    schema = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}
    response = await backend.complete(_ask("What is 2 + 2? Reply in JSON.", json_schema=schema))
    jsonschema.validate(json.loads(response.message.content or ""), schema)
    yes_no = await backend.complete(_ask("Is the sky blue?", grammar='root ::= "yes" | "no"'))
    assert yes_no.message.content in {"yes", "no"}


async def test_a_json_schema_with_tools_still_lets_the_model_call_one(backend: LlamaCppBackend) -> None:
    """With tools on offer the schema constrains the answer, not the turn: one grammar, a call or such an answer."""
    schema = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}
    response = await backend.complete(_ask("Use the calculator: 2 + 2", tools=[CALC], json_schema=schema))
    assert [call.name for call in response.message.tool_calls] == ["calc_evaluate"]
    assert backend.model_info.schema_with_tools


async def test_a_missing_lora_adapter_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="adapter.gguf"):
        async with LlamaCppBackend(lora_path=tmp_path / "adapter.gguf"):
            pass


async def test_100_nested_tools_compile_and_run(backend: LlamaCppBackend) -> None:
    """The tool-call grammar for 100 tools with nested schemas compiles and constrains a real generation.

    100 nested schemas do not fit SmolLM2's 8k context as a prompt (that is what tool selection is for),
    so the grammar is passed on its own with a short prompt.
    """
    tools = [ToolSpec(name=f"book_{i}", description="x", input_schema=dict(NESTED.input_schema)) for i in range(100)]
    gbnf = tool_call_gbnf(tools, "required", 2)
    assert gbnf is not None
    response = await backend.complete(
        _ask("Book a trip for Ann on 3 jan", grammar=gbnf, sampling=SamplingParams(max_tokens=160))
    )
    message = backend.parse(response.raw_text)
    assert message.tool_calls and message.content is None, response.raw_text
    for call in message.tool_calls:
        assert call.name.startswith("book_")
        jsonschema.validate(call.arguments, dict(NESTED.input_schema))


async def test_a_template_that_renders_tools_is_used_natively_with_its_parser() -> None:
    """SmolLM2 given a Hermes-style template: tools rendered by the template, hermes grammar and parser."""
    template = (Path(__file__).parent / "qwen_style.jinja").read_text()
    async with LlamaCppBackend(chat_template=template) as native:
        assert native.model_info.chat_format == "hermes"
        request = _ask("What is 2 + 2?", tools=[CALC, CLOCK], tool_choice=NamedTool(name="calc_evaluate"))
        prompt = native.render(request)
        assert '"name": "calc_evaluate"' in prompt and "<tools>" in prompt  # the template wrote the tool list
        response = await native.complete(request)
    assert response.raw_text.startswith("<tool_call>\n{")  # one object per tag pair: the hermes shape
    assert 1 <= len(response.message.tool_calls) <= 4  # the default cap on calls per turn
    for call in response.message.tool_calls:
        assert call.name == "calc_evaluate"
        jsonschema.validate(call.arguments, dict(CALC.input_schema))


async def test_streamed_calls_arrive_whole_and_no_markup_leaks_into_text(backend: LlamaCppBackend) -> None:
    from inference import ToolCallDelta

    request = _ask("What time is it in Paris?", tools=[CALC, CLOCK], tool_choice="required")
    async with backend.stream(request) as items:
        seen = [item async for item in items]
    texts = "".join(i.text for i in seen if isinstance(i, TextDelta))
    calls = [i.call for i in seen if isinstance(i, ToolCallDelta)]
    done = seen[-1]
    assert done.type == "done" and "<tool_call>" not in texts
    assert calls == list(done.response.message.tool_calls) and calls
