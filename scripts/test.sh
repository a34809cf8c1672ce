#!/usr/bin/env bash
# The whole test suite, from a fresh machine: system packages, Python
# dependencies, the OpenTelemetry Collector build (cached), lint, tests on the
# pinned versions, then the version matrix (scripts/matrix.py: the declared floors
# and the newest LiteLLM, each in its own cached venv).
# Extra arguments go to the main pytest run (e.g. scripts/test.sh -k proxy);
# OTEL_LITELLM_MATRIX=0 leaves the matrix out (it says so).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export LITELLM_LOCAL_MODEL_COST_MAP=True

step() { printf '\ntest.sh: %s (%d s)\n' "$*" "$SECONDS" >&2; }

step "system packages"
scripts/install-system-deps.sh
step "Python dependencies (the dev extra)"
python -m pip install -q --disable-pip-version-check -e '.[dev]'
step "OpenTelemetry Collector"
if ! collector="$(scripts/build-collector.sh | tail -n 1)"; then
    echo "test.sh: the Collector could not be built; it needs Go >= 1.25 (README: Tests)" >&2
    exit 1
fi
export OTEL_LITELLM_OTELCOL_BIN="$collector"

step "ruff, mypy"
ruff check otel_litellm tests benchmarks
ruff format --check otel_litellm tests benchmarks
mypy
step "pytest on the pinned versions"
status=0
python -m pytest "$@" || status=$?
if [[ "${OTEL_LITELLM_MATRIX:-1}" == 0 ]]; then
    step "version matrix skipped (OTEL_LITELLM_MATRIX=0)"
else
    step "version matrix"
    python scripts/matrix.py || status=1
fi
step "done, exit $status"
exit "$status"
