# Two commands do all set-up: `make run` and `make test`. `make lint` runs the quality gates.
# `make run HOST=0.0.0.0 PORT=9000` overrides the settings' PLAYGROUND_HOST / PLAYGROUND_PORT.
# The server and the tests default BLAS to one thread per process (app/cli.py, tests/conftest.py);
# `make bench` does the same so its figures are what the server gets. Set OPENBLAS_NUM_THREADS to change.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

OPENBLAS_NUM_THREADS ?= 1
OMP_NUM_THREADS      ?= 1
export OPENBLAS_NUM_THREADS OMP_NUM_THREADS

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(VENV)/.installed $@

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[bench]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/optimizer-playground $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(VENV)/.installed-bench $(VENV)/.installed-test  # torch (bench extra); Playwright and dask (test extra)
	$(BIN)/python bench/optimizer_race.py
	$(BIN)/python bench/engine2d.py
	$(BIN)/python bench/start_map.py
	$(BIN)/python bench/training_throughput.py
	$(BIN)/python bench/training_workers.py
	$(BIN)/python bench/telemetry_cost.py
	$(BIN)/python bench/job_history.py
	$(BIN)/python bench/saved_runs.py
	$(BIN)/python bench/search_workers.py
	$(BIN)/python bench/load_mix.py
	$(BIN)/python bench/landscape.py
	$(BIN)/python bench/transfer.py
	$(BIN)/python bench/page_load.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
