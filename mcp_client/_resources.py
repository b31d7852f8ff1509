"""Resources and prompts of the connected servers: list and read resources (filtered by each server's
`resources` glob patterns), list and get prompts. Mixed into MCPClientManager."""

from __future__ import annotations

import fnmatch
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import mcp.types as mt
from mcp import ClientSession, MCPError

from mcp_client._connection import ServerConnection
from mcp_client._convert import content_from_mcp
from mcp_client.errors import MCPClientError
from tools import ContentBlock, ResourceContent

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceInfo:
    uri: str
    name: str
    server_id: str
    description: str | None = None
    mime_type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PromptArgument:
    name: str
    description: str | None = None
    required: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class PromptInfo:
    name: str
    server_id: str
    description: str | None = None
    arguments: tuple[PromptArgument, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PromptMessage:
    role: str
    content: ContentBlock


def _exposed(uri: str, patterns: list[str] | None) -> bool:
    return patterns is None or any(fnmatch.fnmatchcase(uri, p) for p in patterns)


async def _pages(fetch: Callable[[mt.PaginatedRequestParams | None], Awaitable[Any]], field: str) -> list[Any]:
    """Every item of a paginated listing; a server without the capability has none."""
    items: list[Any] = []
    cursor: str | None = None
    try:
        for _ in range(10_000):
            page = await fetch(mt.PaginatedRequestParams(cursor=cursor) if cursor else None)
            items.extend(getattr(page, field))
            cursor = page.next_cursor
            if not cursor:
                break
    except MCPError as exc:
        if exc.error.code != mt.METHOD_NOT_FOUND:
            raise
    return items


class ResourcesMixin:
    _connections: dict[str, ServerConnection]

    def _sessions(self, server_id: str | None) -> list[tuple[ServerConnection, ClientSession]]:
        if server_id is not None and server_id not in self._connections:
            raise MCPClientError(f"no server with id {server_id!r}; known: {', '.join(self._connections)}")
        return [
            (c, c.session)
            for c in self._connections.values()
            if c.session is not None and server_id in (None, c.config.id)
        ]

    async def list_resources(self, *, server_id: str | None = None) -> list[ResourceInfo]:
        """Resources of the ready servers, only those matching each server's `resources` patterns."""
        found: list[ResourceInfo] = []
        for connection, session in self._sessions(server_id):

            async def fetch(params: mt.PaginatedRequestParams | None, s: ClientSession = session) -> Any:
                return await s.list_resources(params=params)

            for resource in await _pages(fetch, "resources"):
                if _exposed(str(resource.uri), connection.config.resources):
                    found.append(
                        ResourceInfo(
                            uri=str(resource.uri),
                            name=resource.name,
                            server_id=connection.config.id,
                            description=resource.description,
                            mime_type=resource.mime_type,
                        )
                    )
        return found

    async def read_resource(self, uri: str, *, server_id: str | None = None) -> list[ResourceContent]:
        """Read a resource. Without `server_id`, the server that lists `uri` is asked.

        Raises:
            MCPClientError: no ready server exposes `uri` (patterns apply), or the read failed.
        """
        owners = [r.server_id for r in await self.list_resources(server_id=server_id) if r.uri == uri]
        if not owners:
            raise MCPClientError(f"no connected server exposes resource {uri!r}")
        session = self._connections[owners[0]].session
        if session is None:
            raise MCPClientError(f"the server of resource {uri!r} went away")
        try:
            result = await session.read_resource(uri)
        except MCPError as exc:
            raise MCPClientError(f"reading resource {uri!r} failed: {exc}") from exc
        contents = getattr(result, "contents", [])
        return [
            ResourceContent(
                uri=str(c.uri), mime_type=c.mime_type, text=getattr(c, "text", None), blob=getattr(c, "blob", None)
            )
            for c in contents
        ]

    async def list_prompts(self, *, server_id: str | None = None) -> list[PromptInfo]:
        found: list[PromptInfo] = []
        for connection, session in self._sessions(server_id):

            async def fetch(params: mt.PaginatedRequestParams | None, s: ClientSession = session) -> Any:
                return await s.list_prompts(params=params)

            for prompt in await _pages(fetch, "prompts"):
                arguments = tuple(
                    PromptArgument(name=a.name, description=a.description, required=bool(a.required))
                    for a in prompt.arguments or ()
                )
                found.append(
                    PromptInfo(
                        name=prompt.name,
                        server_id=connection.config.id,
                        description=prompt.description,
                        arguments=arguments,
                    )
                )
        return found

    async def get_prompt(
        self, name: str, arguments: Mapping[str, str] | None = None, *, server_id: str | None = None
    ) -> list[PromptMessage]:
        """Render a prompt. Give `server_id` when two servers have a prompt of that name."""
        owners = [p.server_id for p in await self.list_prompts(server_id=server_id) if p.name == name]
        if not owners:
            raise MCPClientError(f"no connected server has prompt {name!r}")
        if len(set(owners)) > 1:
            raise MCPClientError(f"prompt {name!r} exists on servers {', '.join(owners)}: pass server_id")
        session = self._connections[owners[0]].session
        if session is None:
            raise MCPClientError(f"the server of prompt {name!r} went away")
        try:
            result = await session.get_prompt(name, dict(arguments or {}))
        except MCPError as exc:
            raise MCPClientError(f"getting prompt {name!r} failed: {exc}") from exc
        messages = getattr(result, "messages", [])
        return [PromptMessage(role=m.role, content=content_from_mcp(m.content)) for m in messages]
