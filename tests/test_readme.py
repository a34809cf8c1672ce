"""README's proxy snippet, run as written: its config.yaml, its exports, its `litellm`
command and its scrape, with /metrics auth off (as written) and on."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest

from otel_litellm.mock_upstream import MockUpstream
from tests.support.proxy import answers, free_port, post, serving
from tests.support.scrape import fetch, parse, value

pytestmark = [pytest.mark.proxy, pytest.mark.slow]

README = Path(__file__).resolve().parent.parent / "README.md"


def proxy_snippet() -> tuple[str, str]:
    """The yaml and bash blocks of README's "LiteLLM proxy" paragraph."""
    text = README.read_text()
    section = text[text.index("**LiteLLM proxy**") :]
    yaml_block = re.search(r"```yaml\n(.*?)```", section, re.S)
    bash_block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert yaml_block and bash_block
    return yaml_block.group(1), bash_block.group(1)


def litellm_command() -> str:
    beside = Path(sys.executable).with_name("litellm")
    return str(beside) if beside.exists() else str(shutil.which("litellm"))


@contextlib.contextmanager
def readme_proxy(workdir: Path, config: str, upstream: MockUpstream) -> Iterator[tuple[str, str]]:
    """Start the proxy the way README's bash block does; yields (base URL, master key)."""
    _, bash = proxy_snippet()
    exports = dict(re.findall(r"^export (\w+)=(\S+)", bash, re.M))
    command = next(line.split() for line in bash.splitlines() if line.startswith("litellm "))
    assert command[1:4] == ["--config", "config.yaml", "--port"], command
    Path(workdir, "config.yaml").write_text(config)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITELLM_")}
    # The model's credentials come from the user's environment; here, the mock's.
    env |= {**exports, "OPENAI_API_KEY": "sk-up", "OPENAI_BASE_URL": upstream.base_url}
    log_path = Path(workdir, "proxy.log")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [litellm_command(), *command[1:3], "--port", str(port), "--host", "127.0.0.1"],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        with serving(process, log_path, lambda: answers(base), timeout=120):
            yield base, exports["LITELLM_MASTER_KEY"]
    # The cost-map variable in README is what keeps start-up from retrying a download.
    assert "cost map fetch" not in log_path.read_text()


def chat(base: str, key: str) -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    assert post(base, body, key) == 200


def scrape_until_counted(url: str, headers: dict[str, str] | None = None) -> str:
    deadline = time.monotonic() + 15
    while True:
        body = fetch(url, headers)
        counted = value(parse(body), "litellm_proxy_total_requests_metric_total")
        if counted >= 1 or time.monotonic() > deadline:
            return body
        time.sleep(0.3)


def test_readme_proxy_snippet_starts_and_serves_metrics_without_auth(tmp_path: Path) -> None:
    config, _ = proxy_snippet()
    assert "require_auth_for_metrics_endpoint: false" in config
    with MockUpstream() as upstream, readme_proxy(tmp_path, config, upstream) as (base, key):
        chat(base, key)
        body = scrape_until_counted(base + "/metrics")
    found = parse(body)
    assert value(found, "litellm_proxy_total_requests_metric_total", requested_model="gpt-4o") == 1
    assert key not in body


def test_readme_proxy_with_metrics_auth_on_needs_the_key(tmp_path: Path) -> None:
    config, _ = proxy_snippet()
    config = config.replace(
        "require_auth_for_metrics_endpoint: false", "require_auth_for_metrics_endpoint: true"
    )
    with MockUpstream() as upstream, readme_proxy(tmp_path, config, upstream) as (base, key):
        chat(base, key)
        with pytest.raises(urllib.error.HTTPError) as refused:
            fetch(base + "/metrics")
        assert refused.value.code in (401, 403)
        body = scrape_until_counted(base + "/metrics", {"Authorization": f"Bearer {key}"})
    found = parse(body)
    assert value(found, "litellm_proxy_total_requests_metric_total", requested_model="gpt-4o") == 1
