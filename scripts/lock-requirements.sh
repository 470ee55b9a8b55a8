#!/usr/bin/env bash
# Regenerate requirements.txt, what Heroku's Python buildpack installs, from pyproject.toml's
# runtime dependencies: every package pinned (pip-compile keeps the pins already there unless
# pyproject.toml asks for something else), then "-e ." so the project itself is installed and
# its console scripts (crm, crm-bot) exist. Editable, so that Alembic's files (alembic.ini,
# migrations/) are read from the checkout; Heroku's buildpack rewrites the path for /app.
# Run it with the Python of .python-version: `make requirements`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$PYTHON" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet pip-tools
# The previous pins, without the project's own line (pip-compile would try to resolve it).
if [[ -f requirements.txt ]]; then grep -v '^-e \.$' requirements.txt > "$tmp/requirements.txt"; fi
CUSTOM_COMPILE_COMMAND="make requirements" "$tmp/venv/bin/pip-compile" --quiet \
  --strip-extras --no-emit-index-url --no-emit-trusted-host --no-emit-find-links \
  --output-file "$tmp/requirements.txt" pyproject.toml
{ cat "$tmp/requirements.txt"; echo "-e ."; } > requirements.txt
echo "requirements.txt: $(grep -c '==' requirements.txt) pinned packages, then -e ."
