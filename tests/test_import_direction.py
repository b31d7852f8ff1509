"""DESIGN.md's import direction: tools <- inference, mcp_client <- agent; only the edges import SDKs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tools", "inference", "mcp_client", "agent")
# Which of our packages each package may import.
ALLOWED = {
    "tools": {"tools"},
    "inference": {"tools", "inference"},
    "mcp_client": {"tools", "mcp_client"},
    "agent": {"tools", "inference", "mcp_client", "agent"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


# agent/'s floors, bottom up: the loop and its policies (the package's root modules), the chat-completions
# service every door shares, and the doors. A floor imports only floors below it; doors never import each
# other, with one exception: `mcpagent serve` is the command line starting the server, so cli/serve.py may
# import the server's public entry point (`agent.server`, not its modules).
FLOORS = {"loop": 0, "completions": 1, "mistralrs": 2, "server": 2, "cli": 2}
CLI_STARTS_SERVER = ("agent/cli/serve.py", "agent.server")


def _agent_floor(module: str) -> str:
    """The floor of a dotted module name inside agent/."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in FLOORS else "loop"


def _agent_imports(path: Path) -> set[str]:
    """The agent modules `path` imports, as dotted names (`from agent import session` is agent.session)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names if alias.name.split(".")[0] == "agent")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "agent":
                names.update(f"agent.{alias.name}" for alias in node.names)
            elif node.module.startswith("agent."):
                names.add(node.module)
    return names


def _floor_violations() -> list[str]:
    bad = []
    for path in _modules("agent"):
        where = path.relative_to(ROOT).as_posix()
        if where == "agent/__init__.py":
            continue  # the package re-exports every floor's public names
        floor = _agent_floor(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for module in _agent_imports(path):
            target = _agent_floor(module)
            file = ROOT / module.replace(".", "/")
            if module == "agent" or not (file.with_suffix(".py").exists() or (file / "__init__.py").exists()):
                bad.append(f"{where} imports {module}, a name from agent/__init__ (which imports every door)")
            elif target != floor and (where, module) != CLI_STARTS_SERVER and FLOORS[target] >= FLOORS[floor]:
                bad.append(f"{where} ({floor}) imports {module} ({target})")
    return sorted(bad)


def test_agent_floors_import_only_downward() -> None:
    """The loop imports no door and not the service; the service imports no door; doors not each other."""
    assert _floor_violations() == []


@pytest.mark.parametrize("package", PACKAGES)
def test_packages_import_only_in_the_allowed_direction(package: str) -> None:
    bad = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _modules(package)
        for name in _imports(path) & set(PACKAGES)
        if name not in ALLOWED[package]
    }
    assert not bad, sorted(bad)


def test_only_llama_cpp_modules_import_llama_cpp() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in _modules(package)
        if "llama_cpp" in _imports(path) and not path.name.startswith("llama_cpp")
    ]
    assert offenders == []


def test_only_the_ctransformers_backend_imports_ctransformers() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in _modules(package)
        if "ctransformers" in _imports(path) and path.name != "ctransformers_backend.py"
    ]
    assert offenders == []


def test_importing_inference_loads_no_engine() -> None:
    import subprocess
    import sys

    code = "import sys, inference; print(sorted({'llama_cpp', 'ctransformers'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


def test_only_mcp_client_and_tool_servers_import_mcp() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("inference", "agent")
        for path in _modules(package)
        if "mcp" in _imports(path)
    ]
    assert offenders == []


def test_the_checker_sees_real_imports() -> None:
    """Guard against a checker that passes because it reads nothing."""
    assert "mcp_client" in _imports(ROOT / "agent" / "cli" / "_common.py")
    assert "llama_cpp" in _imports(ROOT / "inference" / "llama_cpp_backend.py")
    assert "agent.completions.engine" in _agent_imports(ROOT / "agent" / "server" / "app.py")
    assert "agent.session" in _agent_imports(ROOT / "agent" / "cli" / "chat.py")
    assert _agent_floor("agent.mistralrs.runner") == "mistralrs" and _agent_floor("agent.loop") == "loop"
