"""The bundled MCP tool servers. Each module exposes `build() -> MCPServer`."""
