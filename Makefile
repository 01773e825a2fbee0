# Two commands on a fresh machine with Python 3.11:
#   make run    set up, migrate the embedded SQLite database, seed the demo (with HISTORY_DAYS days
#               of past cases, added only to a database without cases), serve web + worker
#   make test   set up and run the whole suite in parallel (DATABASE_URL=postgres://... for PostgreSQL;
#               TEST_WORKERS=0 for one process, e.g. to debug with pdb)
# Production on one machine: make prod (migrate, collectstatic, gunicorn + worker; README "Running in production")
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
# Days of demo history `make seed` lives through (seed_demo --history); 0 for none.
HISTORY_DAYS ?= 30
# pytest-xdist workers for `make test`: auto is one per CPU; 0 runs the suite in this one process.
# --dist loadfile keeps a test module on one worker (its module-scoped fixtures are built once).
TEST_WORKERS ?= auto

.PHONY: install run prod test lint migrate seed bench clean

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo $(if $(filter-out 0,$(HISTORY_DAYS)),--history $(HISTORY_DAYS))

run: seed
	PORT=$(PORT) bash scripts/run.sh

prod: install
	bash scripts/prod.sh

test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run

# The benchmark counts its own cases: no demo history.
bench: HISTORY_DAYS = 0
bench: seed
	$(BIN)/python bench/engine.py --cases 200

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache .ruff_cache
