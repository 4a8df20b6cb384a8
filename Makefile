# Everything runs in a local virtual environment (.venv); nothing needs system packages.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUNS ?= runs
DEMO_PROMPT ?= examples/neon_rooftop.prompt.txt
TORCH_SPEC ?= torch==2.13.0

.PHONY: install install-dev install-ml test demo bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The base install renders movies on the built-in backends; dev adds the test and lint tools.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The tests build tiny torch models, so they need the ml extra. Torch is pinned first: an
# unpinned torch would pull a multi-GB CUDA build where a CPU build is all the tests need.
$(VENV)/.installed-ml: pyproject.toml $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet $(TORCH_SPEC)
	$(BIN)/python -m pip install --quiet -e '.[dev,ml]'
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

install-ml: $(VENV)/.installed-ml

PYTEST_ARGS ?= -q

test: install-ml
	$(BIN)/python -m pytest $(PYTEST_ARGS)

demo: install
	@$(BIN)/sparkle plan "$$(cat $(DEMO_PROMPT))" --shots 4 --runs-dir $(RUNS) --run-id demo-$$(date +%Y%m%d-%H%M%S) --json > .demo-plan.json
	@run_id=$$($(BIN)/python -c "import json; print(json.load(open('.demo-plan.json'))['run_id'])"); rm -f .demo-plan.json; \
	  $(BIN)/sparkle produce $$run_id --runs-dir $(RUNS) && \
	  echo "" && echo "The movie: $(RUNS)/$$run_id/assembly_lipsync/video_final.mp4" && \
	  echo "Artifacts: $(BIN)/sparkle artifacts $$run_id --runs-dir $(RUNS)"

bench: install
	$(BIN)/python bench/pipeline.py --runs-dir bench/out $(BENCH_ARGS)

lint: install-dev
	$(BIN)/ruff check sparkle_cli tests bench
	$(BIN)/ruff format --check sparkle_cli tests bench
	$(BIN)/mypy sparkle_cli

clean:
	rm -rf $(VENV) bench/out .pytest_cache
