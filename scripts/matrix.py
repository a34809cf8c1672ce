#!/usr/bin/env python3
"""The version matrix: the version-sensitive tests on each LiteLLM and OpenTelemetry
version otel_litellm declares support for, beyond the pinned one.

The pinned versions (the `dev` extra) run the whole suite in the main environment
(scripts/test.sh).  Each entry below gets its own venv under
$OTEL_LITELLM_CACHE_DIR/venvs/<entry> (default ~/.cache/otel_litellm/venvs), created on
first use and reused while what it installs is unchanged; this project is installed
into it editable, with the `test` extra.

Usage: scripts/matrix.py [ENTRY ...] [-- PYTEST ARGS]   (default: every entry)
Exit status: 0 when every entry installed and passed, 1 otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
import venv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"

# The newest LiteLLM release on the index when this was last checked; bump it when a
# newer one appears.  Its `[proxy]` extra pins companion packages the index does not
# serve, so LiteLLM is installed plain and the proxy's requirements follow, the
# companions unpinned (what `pip install litellm` and then the proxy's imports give).
NEWEST_LITELLM = "1.110.2"
# What `pip install 'litellm[proxy]'` resolves while the newer releases' proxy extras
# cannot install: the LiteLLM most proxy users run.
PROXY_EXTRA_LITELLM = "1.108.7"
COMPANIONS = re.compile(r"^litellm[-_]")

# What changes with the LiteLLM or OpenTelemetry version: the metric table against
# LiteLLM's registry, parity with its PrometheusLogger, the real proxy importing our
# callback, the SDK and Router paths, the service hooks, the stand-in's wrapped look-ups,
# the patch table undone exactly, the families bridged from LiteLLM's own registry.
VERSION_TESTS = (
    "tests/test_versions.py",
    "tests/test_spec.py",
    "tests/test_parity.py",
    "tests/test_proxy.py",
    "tests/test_sdk_metrics.py",
    "tests/test_router_metrics.py",
    "tests/test_payload_paths.py",
    "tests/test_services.py",
    "tests/test_standin.py",
    "tests/test_lifecycle.py",
    "tests/test_bridge.py",
    "tests/test_breaker.py",
    "tests/test_failure_event.py",
)
# The drop-in promise as users run it, on the newest LiteLLM: LiteLLM's published
# dashboards and its own logger beside ours on a proxy with keys, teams, orgs and
# customers; rejected and refused requests; several workers behind one /metrics.
DROP_IN_TESTS = (
    "tests/test_identities.py",
    "tests/test_dashboards.py",
    "tests/test_rejected_requests.py",
    "tests/test_invalid_key.py",
    "tests/test_multiworker.py",
)


def log(message: str) -> None:
    print(f"matrix: {message}", file=sys.stderr, flush=True)


def declared_floors() -> list[str]:
    """Every runtime dependency pinned to the lowest version pyproject.toml allows."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    pins = []
    for requirement in project["dependencies"]:
        match = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*>=\s*([^,;\s]+)", requirement)
        if match is None:
            raise SystemExit(f"matrix: dependency without a floor: {requirement!r}")
        name, extras, floor = match.groups()
        if name == "litellm":
            extras = "[proxy]"  # the proxy tests need it; the floor is the same
        pins.append(f"{name}{extras or ''}=={floor}")
    return pins


@dataclass(frozen=True)
class Entry:
    name: str
    what: str
    requirements: Callable[[], list[str]]
    proxy_companions_unpinned: bool = False
    tests: tuple[str, ...] = VERSION_TESTS


ENTRIES = (
    Entry("floor", "every dependency at its declared floor", declared_floors),
    Entry(
        "proxy",
        f"litellm[proxy] {PROXY_EXTRA_LITELLM}, what the proxy extra resolves",
        lambda: [f"litellm[proxy]=={PROXY_EXTRA_LITELLM}"],
        tests=VERSION_TESTS + DROP_IN_TESTS,
    ),
    Entry(
        "newest",
        f"litellm {NEWEST_LITELLM} with the proxy's requirements",
        lambda: [f"litellm=={NEWEST_LITELLM}"],
        proxy_companions_unpinned=True,
        tests=VERSION_TESTS + DROP_IN_TESTS,
    ),
)


def run(command: list[str], **kwargs: object) -> None:
    subprocess.run(command, check=True, **kwargs)  # type: ignore[call-overload]


def pip(python: Path, *args: str) -> None:
    # No .pyc compiling at install: most of LiteLLM's thousands of modules are never imported.
    run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-compile",
            "--disable-pip-version-check",
            *args,
        ]
    )


PROXY_REQUIREMENTS = """
import importlib.metadata as md, json
from pip._vendor.packaging.requirements import Requirement
out = []
for line in md.requires("litellm") or []:
    r = Requirement(line)
    if r.marker and r.marker.evaluate({"extra": "proxy"}) and not r.marker.evaluate({"extra": ""}):
        extras = f"[{','.join(sorted(r.extras))}]" if r.extras else ""
        out.append((r.name, f"{r.name}{extras}{r.specifier}"))
print(json.dumps(out))
"""


def install_proxy_requirements(python: Path) -> None:
    """LiteLLM's `[proxy]` requirements; its own companion packages unpinned, each
    skipped with a message when the index has no version of it at all."""
    listed = subprocess.run(
        [str(python), "-c", PROXY_REQUIREMENTS], check=True, capture_output=True, text=True
    ).stdout
    requirements = json.loads(listed)
    pinned = [spec for name, spec in requirements if not COMPANIONS.match(name)]
    pip(python, *pinned)
    for name, spec in requirements:
        if COMPANIONS.match(name):
            try:
                pip(python, name)
                log(f"  {spec}: installed {name} unpinned")
            except subprocess.CalledProcessError:
                log(f"  {spec}: not on the index, skipped")


def ensure_venv(entry: Entry, root: Path) -> Path:
    """The entry's venv, (re)built when what it installs changed; returns its python."""
    home = root / entry.name
    python = home / "bin" / "python"
    requirements = entry.requirements()
    stamp_text = json.dumps(
        [requirements, entry.proxy_companions_unpinned, sys.version, PYPROJECT.read_text()]
    )
    stamp = hashlib.sha256(stamp_text.encode()).hexdigest()
    stamp_file = home / "installed.sha256"
    if python.exists() and stamp_file.exists() and stamp_file.read_text() == stamp:
        log(f"[{entry.name}] reusing {home}")
        return python
    log(f"[{entry.name}] creating {home}: {' '.join(requirements)}")
    started = time.monotonic()
    venv.EnvBuilder(clear=True, with_pip=True).create(home)
    pip(python, "-e", f"{ROOT}[test]", *requirements)
    if entry.proxy_companions_unpinned:
        install_proxy_requirements(python)
    stamp_file.write_text(stamp)
    log(f"[{entry.name}] installed in {time.monotonic() - started:.0f} s")
    return python


def versions(python: Path) -> str:
    packages = ("litellm", "opentelemetry-sdk", "opentelemetry-exporter-prometheus", "fastapi")
    code = (
        "import importlib.metadata as md\n"
        "def v(p):\n"
        "    try: return md.version(p)\n"
        "    except md.PackageNotFoundError: return '-'\n"
        f"print(' '.join(f'{{p}}={{v(p)}}' for p in {packages!r}))"
    )
    return subprocess.run(
        [str(python), "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()


def newer_release() -> str | None:
    """The index's newest LiteLLM when it is newer than NEWEST_LITELLM; None when it
    is not, or when the index cannot be asked (the run goes on either way)."""
    try:
        answer = subprocess.run(
            [sys.executable, "-m", "pip", "index", "versions", "litellm"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.match(r"litellm \(([^)]+)\)", answer)
    if found is None:
        return None
    from packaging.version import InvalidVersion, Version

    try:
        newer = Version(found.group(1)) > Version(NEWEST_LITELLM)
    except InvalidVersion:
        return None
    return found.group(1) if newer else None


def main(argv: list[str]) -> int:
    names, pytest_args = argv, ["-p", "no:cacheprovider", "-q"]
    if "--" in argv:
        cut = argv.index("--")
        names, pytest_args = argv[:cut], argv[cut + 1 :]
    by_name = {entry.name: entry for entry in ENTRIES}
    unknown = sorted(set(names) - set(by_name))
    if unknown:
        log(f"unknown entries {unknown}; known: {sorted(by_name)}")
        return 2
    chosen = [by_name[name] for name in names] or list(ENTRIES)
    cache = Path(os.environ.get("OTEL_LITELLM_CACHE_DIR", Path.home() / ".cache/otel_litellm"))
    root = Path(os.environ.get("OTEL_LITELLM_VENV_DIR", cache / "venvs"))
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "PYTHONPATH": str(ROOT)}

    newer = newer_release()
    if newer is not None:
        log(f"LiteLLM {newer} is out, newer than NEWEST_LITELLM {NEWEST_LITELLM}: raise it here")
    results = []
    for entry in chosen:
        started = time.monotonic()
        try:
            python = ensure_venv(entry, root)
        except subprocess.CalledProcessError as error:
            log(f"[{entry.name}] install failed: {error}")
            results.append((entry, "install failed", time.monotonic() - started, ""))
            continue
        installed = versions(python)
        installed_at = time.monotonic()
        log(f"[{entry.name}] {entry.what}: {installed}; running {len(entry.tests)} test files")
        code = subprocess.run(
            [str(python), "-m", "pytest", *pytest_args, *entry.tests], cwd=ROOT, env=env
        ).returncode
        outcome = "passed" if code == 0 else f"pytest exit {code}"
        log(f"[{entry.name}] {outcome}; tests {time.monotonic() - installed_at:.0f} s")
        results.append((entry, outcome, time.monotonic() - started, installed))

    log("summary:")
    for entry, outcome, seconds, installed in results:
        log(f"  {entry.name:<7} {outcome:<15} {seconds:5.0f} s  {installed}")
    return 0 if all(outcome == "passed" for _, outcome, _, _ in results) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
