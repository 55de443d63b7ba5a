# Chatelly: `make run` serves on the embedded default, `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint fmt migrate venv lock clean system-deps

# requirements.txt: what runs in production (the Docker image installs only it);
# requirements-dev.txt: tests, lint and profiling. Both are compiled by `make lock`
# from the .in files, every package pinned with its hashes.
venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

# Re-pins both files from requirements.in / requirements-dev.in (pip-tools),
# keeping every pin the .in files do not ask to change. Then `make venv`.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --strip-extras \
  --generate-hashes --allow-unsafe --no-emit-index-url --no-emit-find-links
lock: venv
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

migrate: venv
	$(BIN)/python manage.py migrate --noinput

# Serves HTTP and WebSockets (daphne's runserver) on http://$(HOST):$(PORT).
run: migrate
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Against PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set,
# the embedded default otherwise. Extra pytest arguments: make test ARGS="-k login".
test: venv
	@$(BIN)/python -m pytest $(ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: the suite is broken" >&2; fi; \
	  exit $$rc

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

fmt: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Debian packages some tests use: Chromium for the widget's browser tests,
# docker-compose to validate docker-compose.yml (no engine needed), nginx for
# the test of the production proxy. Needs root.
system-deps:
	@missing=""; \
	  command -v chromium >/dev/null || missing="$$missing chromium"; \
	  command -v docker-compose >/dev/null || missing="$$missing docker-compose"; \
	  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$$missing nginx-light"; \
	  if [ -n "$$missing" ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  fi

clean:
	rm -rf $(VENV) db.sqlite3 test_db.sqlite3 staticfiles
