# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench venv clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,bench]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/evictsim run experiments/quickstart.yaml --out results/quickstart

# Two workers for everything but the tests against a live redis-server (most of the suite is numba
# compiling one specialisation per policy family, which two workers do side by side); the live
# tests replay in real time and run alone afterwards, so a compiling worker cannot disturb them.
test: $(STAMP)
	$(PY) -m pytest -q -n 2 -m "not live" tests
	$(PY) -m pytest -q -m live tests

bench: $(STAMP)
	$(PY) benchmarks/bench_simulate.py
	$(PY) benchmarks/bench_sweep.py
	$(PY) benchmarks/fidelity.py

clean:
	rm -rf $(VENV) results/*/ .pytest_cache
