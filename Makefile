# Two commands matter: `make lab` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := $(CURDIR)/demo-data
STAMP := $(VENV)/.installed

.PHONY: lab test setup system-deps demo-data benchmark clean

lab: setup demo-data
	$(BIN)/jupyter-lab --no-browser --allow-root \
		--port=$${JUPYTER_PORT:-8888} \
		--RemotemApp.demo_data_dir=$(DEMO_DIR)

# The whole suite: the lab extension's lint and unit tests (jest), then everything pytest runs
# (API, client, widgets, notebooks, real S3/WebDAV/PostgreSQL/JupyterHub, browser), in
# TEST_WORKERS processes, each test file in one of them (its module fixtures stay together).
# Most tests wait on servers and subprocesses, so two processes halve the time on two cores.
TEST_WORKERS ?= 2
test: setup system-deps
	cd labextension && PATH=$(CURDIR)/$(BIN):$$PATH jlpm lint:check
	cd labextension && PATH=$(CURDIR)/$(BIN):$$PATH jlpm test --silent
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

setup: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml constraints.txt labextension/package.json labextension/yarn.lock \
		tests/hub/package.json tests/hub/package-lock.json
	$(BIN)/pip install -e ".[test]" -c constraints.txt
	$(BIN)/jupyter-builder develop --overwrite .
	$(BIN)/jupyter server extension enable --sys-prefix jupyter_remotem
	npm ci --prefix tests/hub
	touch $(STAMP)

# Services the tests use: Debian's chromium for browser tests and PostgreSQL for the job store.
system-deps:
	@bash scripts/system-deps.sh

demo-data: setup
	$(BIN)/jupyter-remotem demo-data $(DEMO_DIR) --size small

# Speed measurements (minutes; not part of the tests). LiberTEM baselines need
# LIBERTEM_PYTHON=/path/to/python of an environment with libertem installed.
benchmark: setup
	$(BIN)/python benchmarks/kernels_quick.py
	$(BIN)/python benchmarks/hdf5_reader.py
	$(BIN)/python benchmarks/preview_latency.py
	$(BIN)/python benchmarks/interactive_latency.py
	$(BIN)/python benchmarks/widget_latency.py
	$(BIN)/python benchmarks/remote_reads.py
	$(BIN)/python benchmarks/reductions.py $(if $(LIBERTEM_PYTHON),--libertem-python $(LIBERTEM_PYTHON))
	$(BIN)/python benchmarks/rest_reductions.py $(if $(LIBERTEM_PYTHON),--libertem-python $(LIBERTEM_PYTHON))

clean:
	rm -rf $(VENV) jupyter_remotem/labextension labextension/node_modules labextension/lib demo-data
