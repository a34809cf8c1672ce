#!/usr/bin/env bash
# The whole test suite, from a fresh machine: system packages, Python
# dependencies, the OpenTelemetry Collector build (cached), lint, tests.
# Extra arguments go to pytest (e.g. scripts/test.sh -k proxy).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export LITELLM_LOCAL_MODEL_COST_MAP=True

scripts/install-system-deps.sh
python -m pip install -q --disable-pip-version-check -e '.[dev]'
OTEL_LITELLM_OTELCOL_BIN="$(scripts/build-collector.sh | tail -n 1)"
export OTEL_LITELLM_OTELCOL_BIN

ruff check otel_litellm tests benchmarks
mypy
python -m pytest "$@"
