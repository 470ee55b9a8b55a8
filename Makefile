# Two commands do all the set-up on a fresh machine:
#   make run   - check the configuration, create .venv, install what the bot needs, start the
#                bot; with no TELEGRAM_BOT_TOKEN, the local sandbox (a chat page on :8080)
#   make test  - create .venv, install with the test tools, run the gates (ruff, mypy) and the
#                whole test suite
#   make test-fast - the unit tests alone (no database, no browser), in seconds
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run

.PHONY: run test test-fast typecheck lint bench install clean reset-local-data requirements system-deps screens

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the dependency list changed.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The bot alone, without the test tools.
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $(RUN_STAMP)

install: $(STAMP)

# The configuration is checked first (the check needs only python-dotenv and cryptography, a few
# seconds), so a mistake is reported before the long install. "telegram": migrate DATABASE_URL
# and run the bot; "sandbox": crm-bot migrates the sandbox's own database under SANDBOX_DIR.
run: | $(BIN)/python
	@$(BIN)/pip install --quiet --disable-pip-version-check python-dotenv cryptography
	@mode=$$($(BIN)/python -m bot --check) && \
	$(MAKE) --no-print-directory $(RUN_STAMP) && \
	if [ "$$mode" = telegram ]; then $(BIN)/crm db upgrade; fi && \
	exec $(BIN)/crm-bot

# The Debian packages the tests drive for real (Chromium, Dovecot), installed when missing.
system-deps:
	@bash scripts/system-deps.sh

# The gates, then every test. PYTEST_ARGS: extra pytest options (CI passes --durations=15).
test: $(STAMP) system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_ARGS)

# The pure unit tests: no database, no browser, no servers (tests/unit/conftest.py refuses a
# database), for the edit-test loop.
test-fast: $(STAMP)
	$(BIN)/pytest tests/unit -q $(PYTEST_ARGS)

# mypy over bot/, crm_core/, sandbox/ and web/ (the settings are in pyproject.toml).
typecheck: $(STAMP)
	$(BIN)/mypy

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python -m bench

# The README's screenshots (docs/screens/*.png), taken in headless Chromium from the sandbox.
screens: $(STAMP) system-deps
	$(BIN)/python -m docs.screens

# requirements.txt (what Heroku installs) from pyproject.toml's dependencies, pinned; a test
# fails when the two disagree.
requirements:
	PYTHON=$(PYTHON) bash scripts/lock-requirements.sh

# Build and test leftovers only: never the database or the files folder.
clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache build *.egg-info
	find . -name __pycache__ -type d -prune -not -path './$(VENV)/*' -exec rm -rf {} +

# Deletes the default local database (crm.db) and files folder (crm-files/) after asking.
reset-local-data:
	@found="$$(ls -d crm.db crm.db-* crm-files 2>/dev/null || true)"; \
	if [ -z "$$found" ]; then echo "No local data to delete."; exit 0; fi; \
	echo "$$found"; \
	printf "Delete the CRM's local database and files above for good? Type yes: "; read -r answer; \
	if [ "$$answer" = yes ]; then rm -rf crm.db crm.db-* crm-files; echo "Deleted."; \
	else echo "Kept everything."; fi
