#!/usr/bin/env bash
# Run the benchmark suite; print the figures and write docs/benchmarks.md.
#   scripts/bench.sh            full run (~10 min on 2 cores)
#   scripts/bench.sh --quick    shorter loops, no 100,000-series scrape
# Other options: --only recording,scrape,proxy   --no-write
set -euo pipefail
cd "$(dirname "$0")/.."
export LITELLM_LOCAL_MODEL_COST_MAP=True
exec python -m benchmarks.run "$@"
