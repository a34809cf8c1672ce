"""scripts/build-collector.sh around a stand-in Go toolchain: what a user sees while it builds."""

from __future__ import annotations

import os
import stat
import subprocess
import time
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "build-collector.sh"

# `go install` drops a builder that takes a few seconds and writes a binary that
# reports the manifest's version, as the real one does.
FAKE_GO = """#!/usr/bin/env bash
case "$1" in
  env) echo go1.26.0 ;;
  install)
    mkdir -p "$GOBIN"
    cat >"$GOBIN/builder" <<'EOF'
#!/usr/bin/env bash
[ "$1" = version ] && { echo "builder fake"; exit 0; }
sleep 3
mkdir -p build
printf '#!/bin/sh\\necho "otelcol-litellm version 0.159.0"\\n' >build/otelcol-litellm
chmod +x build/otelcol-litellm
EOF
    chmod +x "$GOBIN/builder" ;;
esac
"""


def test_a_long_build_reports_progress_and_prints_the_binary(tmp_path: Path) -> None:
    go = tmp_path / "go"
    go.write_text(FAKE_GO)
    go.chmod(go.stat().st_mode | stat.S_IEXEC)
    env = {
        **os.environ,
        "OTEL_LITELLM_GO": str(go),
        "OTEL_LITELLM_CACHE_DIR": str(tmp_path / "cache"),
        "OTEL_LITELLM_PROGRESS_SECONDS": "1",
    }
    result = subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("still building... ") >= 2, result.stderr
    binary = Path(result.stdout.strip().splitlines()[-1])
    assert binary.is_file() and binary.parent.parent == tmp_path / "cache"
    # Built once: the second run reuses it, silently and at once.
    again = subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=10
    )
    assert again.stdout.strip() == str(binary) and "still building" not in again.stderr
    # The progress ticker ends with the build: a caller reading stderr is not held
    # until its next tick.
    started = time.monotonic()
    forced = subprocess.run(
        ["bash", str(SCRIPT), "--force"],
        env={**env, "OTEL_LITELLM_PROGRESS_SECONDS": "120"},
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert forced.returncode == 0 and time.monotonic() - started < 60, forced.stderr
