# The two commands of the quickstart: `make demo` and `make test`.
# A fresh machine needs only Python 3.11 and pip; uv comes from pip when missing.

PYTHON ?= python3
# uv from PATH if there is one, else a private copy installed by pip into .tools/ (a
# virtual environment, so it works where the system Python refuses pip installs, PEP 668).
UV ?= $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := .tools/bin/uv
UV_FROM_PIP := $(UV)
endif
RUN := $(UV) run --frozen
SCALE ?= small
SEED ?= 42
# The city to generate the sample on (a GB/T 2260 code; empty: contracts/city.yaml's), and its
# extent for a city without a data file in pipelines/sample_city/cities/.
CITY ?=
BOUNDS ?=
DATA_DIR ?= data

# Telemetry off for every tool the Makefile starts (docs/architecture.md, Telemetry off).
export DAGSTER_DISABLE_TELEMETRY := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := False

# Extracts name persons by a keyed pseudonym (pipelines/lib/publish/pseudonym.py), and
# ingestion hashes identity numbers with a key of its own (pipelines/lib/ingest/identity_hash.py).
# These development keys are no secrets and are for the sample city only: a deployment sets
# its own SAFECITY_PSEUDONYM_KEY and SAFECITY_IDENTITY_HASH_KEY in the environment, which
# these lines then leave alone.
export SAFECITY_PSEUDONYM_KEY ?= safecity-development-pseudonym-key-NOT-A-SECRET
export SAFECITY_IDENTITY_HASH_KEY ?= safecity-development-identity-hash-key-NOT-A-SECRET

.PHONY: demo test lint format install dev bench bench-large bench-small clean

# Each command says what it does in its own first or last line, so make does not echo them;
# `safecity run` names its log file, which holds the details (dbt, Dagster, every file).
demo: install
	@$(RUN) safecity generate --scale $(SCALE) --seed $(SEED) --out $(DATA_DIR) $(if $(CITY),--city $(CITY)) $(if $(BOUNDS),--bounds $(BOUNDS))
	@$(RUN) safecity run --data-dir $(DATA_DIR)
	@$(RUN) safecity eval-linkage --data-dir $(DATA_DIR)
	@$(RUN) safecity risk --data-dir $(DATA_DIR) --top 5

test: install
	$(RUN) pytest -n 2

# The habits, enforced: Python lint and format (ruff), types (mypy), the dbt project's SQL
# (sqlfluff). `make format` applies what can be applied; pre-commit runs the same on commit.
lint: install
	$(RUN) ruff check pipelines tests benchmarks
	$(RUN) ruff format --check pipelines tests benchmarks
	$(RUN) mypy
	$(RUN) sqlfluff lint dbt_project --processes 2

format: install
	$(RUN) ruff check --fix pipelines tests benchmarks
	$(RUN) ruff format pipelines tests benchmarks
	$(RUN) sqlfluff fix dbt_project --processes 2

# Quiet: a fresh install is some 240 packages, a line each; errors still show.
# Bytecode compiled at install: uv does not by default, and where Python may not write it
# (PYTHONDONTWRITEBYTECODE, a read-only environment) every process that loads the code
# location (code server, daemon, webserver, each run worker) compiled dagster, dbt and pipelines/ anew.
install: $(UV_FROM_PIP)
	$(UV) sync --frozen --quiet --compile-bytecode
	@$(RUN) python -m compileall -q pipelines
	@# The dbt manifest the warehouse assets are defined from, and the partial-parse state a new
	@# data directory's first build starts from (dbt parse; no network; pipelines/lib/dbt_parse.py).
	@$(RUN) python -m pipelines.lib.dbt_parse

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install -qq "uv>=0.9"

# The UI on the same instance and data directory as `make demo`, so its runs show.
dev: install
	DAGSTER_HOME=$(abspath $(DATA_DIR))/dagster_home SAFECITY_DATA_DIR=$(abspath $(DATA_DIR)) \
		$(RUN) dagster dev -w workspace.yaml

bench: install
	$(RUN) python benchmarks/bench_generate.py

# The whole harness (benchmarks/run_all.py): end to end and every stage against its floor,
# medians of BENCH_REPEAT runs; generates the city into data/bench-<scale>/ when missing.
# One repeat on large took 21 minutes on the reference machine (busy): run it when quiet.
BENCH_REPEAT ?= 3
bench-large: install
	$(RUN) python benchmarks/run_all.py --scale large --repeat $(BENCH_REPEAT)

bench-small: install
	$(RUN) python benchmarks/run_all.py --scale small --repeat $(BENCH_REPEAT)

clean:
	rm -rf $(DATA_DIR)/landing $(DATA_DIR)/ground_truth $(DATA_DIR)/lake $(DATA_DIR)/*.duckdb \
		$(DATA_DIR)/extracts $(DATA_DIR)/reports $(DATA_DIR)/alerts $(DATA_DIR)/dbt_target $(DATA_DIR)/logs
