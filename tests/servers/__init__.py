"""MCP servers that misbehave on purpose, for the client's tests: run one with `python -m tests.servers NAME`.

slow (sleeps, counts cancellations), crashy (dies on demand), progress (reports progress), changing (tool
list changes, pagination), rich (images, audio, resources, structured content, isError, resources/read,
prompts), garbage (non-JSON on stdout), grandchild (leaves a process behind), mute (never answers
`initialize`), chatty (floods stderr), gauge (counts calls in flight), asking (asks the client: sampling,
elicitation, roots, logging). Each module's docstring lists its tools and flags; `tests.servers._launch`
starts them for tests, as processes or (`in_process`) in the test's own process for the memory transport.
"""

SERVERS = (
    "slow", "crashy", "progress", "changing", "rich", "garbage", "grandchild", "mute", "chatty", "gauge", "asking"
)
IN_PROCESS = ("slow", "progress", "changing", "rich", "mute", "gauge", "asking")
"""The servers that do nothing to their process before serving (the others exit, write, spawn or flood it)."""
