"""A minimal stdio MCP server in the standard library alone, so its start-up costs only its --delay.

Used by the start-up benchmark: a Python server importing the `mcp` SDK spends ~0.8 s of CPU on
imports, which on a 2-core machine would measure the CPU, not whether the client connects in parallel.
"""

from __future__ import annotations

import json
import sys
import time

TOOL = {"name": "echo", "description": "Echo text.", "inputSchema": {"type": "object", "properties": {}}}


def reply(request_id: object, result: object) -> None:
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": request_id, "result": result}) + "\n")
    sys.stdout.flush()


def main() -> None:
    delay = float(sys.argv[sys.argv.index("--delay") + 1]) if "--delay" in sys.argv else 0.0
    time.sleep(delay)
    for line in sys.stdin:
        message = json.loads(line)
        method, request_id = message.get("method"), message.get("id")
        if request_id is None:
            continue  # a notification
        if method == "initialize":
            version = message["params"]["protocolVersion"]
            reply(request_id, {"protocolVersion": version, "capabilities": {"tools": {}},
                               "serverInfo": {"name": "tiny", "version": "1"}})
        elif method == "tools/list":
            reply(request_id, {"tools": [TOOL]})
        elif method == "tools/call":
            reply(request_id, {"content": [{"type": "text", "text": "ok"}], "isError": False})
        else:
            reply(request_id, {})


if __name__ == "__main__":
    main()
