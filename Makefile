# Two entry points on a fresh machine: `make demo` (set up, run the main job) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= demo-output

.PHONY: setup demo test benchmark clean

setup: $(VENV)/.installed

# torch first, pinned: 2.13.0 is the CPU build; asking for it later lets pip pull a CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[slicer,test]"
	touch $@

demo: setup
	$(VENV)/bin/gliomaai demo --out $(OUT)

test: setup
	$(PY) -m pytest

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
