"""The server's own wire models: tokenize and detokenize, models, health and errors. Chat completions use
`agent.completions.openai_types`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.completions import openai_types as oa


class TokenizeRequest(oa.ChatCompletionRequest):
    """A chat completion request, rendered and tokenized as its first model turn would be (nothing runs)."""

    return_prompt: bool = Field(False, description="Also return the rendered prompt text.")


class TokenizeResponse(BaseModel):
    model: str = Field(description="The model whose template and tokenizer were used.")
    tokens: list[int] = Field(description="The prompt's token ids, as the model evaluates them.")
    count: int = Field(description="len(tokens).")
    max_model_len: int = Field(description="The model's context window in tokens.")
    prompt: str | None = Field(None, description="The rendered prompt text, with return_prompt.")


class _TokensIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field("default", description="The model whose tokenizer to use.")
    tokens: list[int] = Field(description="Token ids (at least one).")


class DetokenizeRequest(_TokensIn):
    """Tokens of a model turn, turned back into an assistant message."""


class DetokenizeResponse(BaseModel):
    model: str = Field(description="The model whose tokenizer and tool-call format were used.")
    text: str = Field(description="The raw text, special tokens included.")
    message: oa.ResponseMessage = Field(
        description="The text parsed as an assistant turn: content, tool calls, reasoning."
    )


_POLICY_NAMES = ("ignore", "keep", "raise")


class DetokenizeStringRequest(_TokensIn):
    special_token_policy: Literal["ignore", "keep", "raise", 0, 1, 2] = Field(
        "keep",
        description="Special tokens: left out (ignore), written out (keep), or an error (raise); or mistral-common's "
        "integers (0 ignore, 1 keep, 2 raise), which make the answer the bare string, as mistral-common's is.",
    )

    @property
    def policy_name(self) -> str:
        policy = self.special_token_policy
        return _POLICY_NAMES[policy] if isinstance(policy, int) else policy

    @property
    def mistral_common(self) -> bool:
        """The body is mistral-common's (its policy is an integer): the answer is the bare string."""
        return isinstance(self.special_token_policy, int)


class DetokenizeStringResponse(BaseModel):
    model: str = Field(description="The model whose tokenizer was used.")
    text: str = Field(description="The text of the tokens.")


class ModelCard(BaseModel):
    id: str = Field(description="The id to put in a request's `model`.")
    object: Literal["model"] = Field("model", description="Always 'model'.")
    created: int = Field(description="Unix time the model was loaded.")
    owned_by: str = Field("mcpagent", description="Always 'mcpagent'.")


class ModelList(BaseModel):
    object: Literal["list"] = Field("list", description="Always 'list'.")
    data: list[ModelCard] = Field(description="The loaded models.")


class ModelHealth(BaseModel):
    id: str = Field(description="The model's id.")
    default: bool = Field(description="Requests for 'default' go to it.")
    path: str | None = Field(None, description="The model file, for a local model.")
    n_ctx: int = Field(description="Context window in tokens (0: set by a remote engine).")
    chat_format: str = Field(description="The tool-call format it writes.")


class ServerHealth(BaseModel):
    name: str = Field(description="The MCP server's name.")
    state: str = Field(description="starting, ready, restarting, failed or closed.")
    transport: str = Field(description="stdio, http, sse or websocket.")
    tools: int = Field(description="Tools it registered.")
    restarts: int = Field(description="Times it was restarted.")
    error: str | None = Field(None, description="Why it is not ready.")


class Health(BaseModel):
    status: Literal["ok", "degraded"] = Field(description="'degraded' when an MCP server is not ready.")
    models: list[ModelHealth] = Field(description="The loaded models.")
    servers: list[ServerHealth] = Field(description="The MCP servers.")


class ErrorDetail(BaseModel):
    message: str = Field(description="What went wrong, naming the field where there is one.")
    type: str = Field(description="invalid_request_error, authentication_error, not_found_error or api_error.")
    param: str | None = Field(None, description="The request field at fault.")
    code: str | None = Field(None, description="A machine-readable code.")


class ErrorResponse(BaseModel):
    """OpenAI's error shape."""

    error: ErrorDetail = Field(description="The error.")

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
