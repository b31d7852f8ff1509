"""`mcpagent serve`: the OpenAI-compatible server, with the MCP tools run server-side."""

from __future__ import annotations

from typing import Annotated

import anyio
import typer
from rich.markup import escape

from agent.cli._common import (
    ChatFormat,
    EngineBackendChoice,
    EngineBackendOption,
    EngineUrl,
    Isq,
    MaxRounds,
    MaxTokens,
    McpConfig,
    Model,
    Settings,
    Temperature,
    Threads,
    Verbose,
    errors,
    open_engine,
    setup_logging,
    user_errors,
)
from agent.completions.conversation import ValidationMode
from inference import DEFAULT_MODEL


async def _serve(
    settings: Settings, *, host: str, port: int, api_key: str | None, validation_mode: ValidationMode
) -> None:
    from agent.server import serve as serve_app

    async with open_engine(settings) as engine:
        model_id = engine.get_default_model_id()

        def ready(url: str) -> None:
            key = " · API key required" if api_key else ""
            errors.print(
                f"mcpagent: serving {escape(model_id or '')} on {url}/v1 (docs {url}/docs, health {url}/health){key}",
                soft_wrap=True,
            )
            errors.print("[dim]Ctrl-C stops the server.[/]")

        await serve_app(
            engine,
            host=host,
            port=port,
            api_key=api_key,
            on_ready=ready,
            access_log=settings.verbose,
            validation_mode=validation_mode,
        )
    errors.print("mcpagent: stopped")


def serve(
    model: Model = DEFAULT_MODEL,
    mcp_config: McpConfig = None,
    engine_url: EngineUrl = None,
    threads: Threads = None,
    isq: Isq = None,
    max_rounds: MaxRounds = 6,
    temperature: Temperature = 0.0,
    max_tokens: MaxTokens = 512,
    chat_format: ChatFormat = None,
    host: Annotated[str, typer.Option(help="The address to listen on; 127.0.0.1 is this machine only.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="The port; 0 picks a free one.")] = 8000,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="MCPAGENT_API_KEY", help="Require 'Authorization: Bearer KEY' on the /v1 routes."),
    ] = None,
    engine_timeout: Annotated[
        float,
        typer.Option(
            "--engine-timeout", "--timeout", min=0.1, help="Seconds to wait for --engine-url before answering 504."
        ),
    ] = 60.0,
    engine_backend: EngineBackendOption = EngineBackendChoice.openai,
    validation_mode: Annotated[
        ValidationMode,
        typer.Option(
            case_sensitive=False,
            help="How strictly conversations are checked (mistral-common's modes): 'test' checks the order of roles, "
            "tool messages against their calls, and empty assistant messages; 'serving' also wants 'model' and every "
            "call answered once; 'finetuning' also wants the assistant's message last.",
        ),
    ] = ValidationMode.TEST,
    verbose: Verbose = False,
) -> None:
    """Serve an OpenAI-compatible API, with the MCP tools run in the server.

    Routes: /v1/chat/completions, /v1/models, /v1/tokenize, /v1/detokenize, /v1/detokenize/string, /health
    and /docs, and mistral-common's /v1/tokenize/, /v1/tokenize/request, /v1/detokenize/ and /. --max-rounds,
    --temperature and --max-tokens apply where a request does not set its own.
    """
    setup_logging(verbose)
    settings = Settings.pick(locals())
    if not api_key and host not in ("127.0.0.1", "localhost", "::1"):
        exposed = f"listening on {escape(host)} without --api-key: anyone who can reach it may use it"
        errors.print(f"[yellow]warning:[/] {exposed}")
    with user_errors(verbose):
        anyio.run(lambda: _serve(settings, host=host, port=port, api_key=api_key, validation_mode=validation_mode))
