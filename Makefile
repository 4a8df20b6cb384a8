# Everything runs in a local virtual environment (.venv); nothing needs system packages.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUNS ?= runs
DEMO_PROMPT ?= examples/neon_rooftop.prompt.txt

.PHONY: install test demo bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

test: install
	$(BIN)/python -m pytest -q

demo: install
	@$(BIN)/sparkle plan "$$(cat $(DEMO_PROMPT))" --shots 4 --runs-dir $(RUNS) --run-id demo-$$(date +%Y%m%d-%H%M%S) --json > .demo-plan.json
	@run_id=$$($(BIN)/python -c "import json; print(json.load(open('.demo-plan.json'))['run_id'])"); rm -f .demo-plan.json; \
	  $(BIN)/sparkle produce $$run_id --runs-dir $(RUNS) && \
	  echo "" && echo "The movie: $(RUNS)/$$run_id/assembly_lipsync/video_final.mp4" && \
	  echo "Artifacts: $(BIN)/sparkle artifacts $$run_id --runs-dir $(RUNS)"

bench: install
	$(BIN)/python bench/pipeline.py --runs-dir bench/out

lint: install
	$(BIN)/ruff check sparkle_cli tests bench
	$(BIN)/ruff format --check sparkle_cli tests bench
	$(BIN)/mypy sparkle_cli

clean:
	rm -rf $(VENV) bench/out .pytest_cache
