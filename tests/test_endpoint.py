"""The /metrics endpoint: bearer or basic auth (401 otherwise), a chosen bind host, and clean
answers to bad methods, paths and requests."""

from __future__ import annotations

import base64
import hmac
import http.client
import socket
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest

import otel_litellm
from otel_litellm.server import MetricsServer
from tests.support.collector import http_get

TOKEN = "s3cret-token"


@pytest.fixture
def started(request: pytest.FixtureRequest) -> Iterator[Any]:
    otel_litellm.uninstrument()
    handle = otel_litellm.instrument(prometheus_port=0, **request.param)
    yield handle
    otel_litellm.uninstrument()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def request(handle: Any, method: str, path: str, headers: dict[str, str] | None = None) -> Any:
    connection = http.client.HTTPConnection(handle.server.host, handle.server.port, timeout=5)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("started", [{"bearer_token": TOKEN}], indirect=True)
@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (None, 401),
        ("Bearer wrong", 401),
        (f"Bearer {TOKEN}x", 401),
        (basic("user", TOKEN), 401),
        ("Bearer", 401),
        (f"Bearer {TOKEN}", 200),
        (f"bearer {TOKEN}", 200),
    ],
)
def test_bearer_token(started: Any, authorization: str | None, status: int) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    code, reply_headers, body = request(started, "GET", "/metrics", headers)
    assert code == status
    if status == 401:
        assert "Bearer" in reply_headers["WWW-Authenticate"] and b"litellm_" not in body


@pytest.mark.parametrize("started", [{"basic_auth": "prom:pa:ss"}], indirect=True)
@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (None, 401),
        (basic("prom", "wrong"), 401),
        (basic("other", "pa:ss"), 401),
        ("Basic !!!not-base64!!!", 401),
        (f"Bearer {TOKEN}", 401),
        (basic("prom", "pa:ss"), 200),
    ],
)
def test_basic_auth(started: Any, authorization: str | None, status: int) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    assert request(started, "GET", "/metrics", headers)[0] == status


@pytest.mark.parametrize("started", [{"bearer_token": TOKEN}], indirect=True)
def test_credentials_are_compared_in_constant_time(started: Any) -> None:
    with mock.patch("otel_litellm.server.hmac.compare_digest", wraps=hmac.compare_digest) as spy:
        assert request(started, "GET", "/metrics", {"Authorization": "Bearer nope"})[0] == 401
    assert spy.call_count == 1


def test_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_LITELLM_METRICS_BEARER_TOKEN", TOKEN)
    otel_litellm.uninstrument()
    handle = otel_litellm.instrument(prometheus_port=0)
    try:
        assert request(handle, "GET", "/metrics")[0] == 401
        assert request(handle, "GET", "/metrics", {"Authorization": f"Bearer {TOKEN}"})[0] == 200
    finally:
        otel_litellm.uninstrument()


def test_binds_to_the_chosen_host_only() -> None:
    otel_litellm.uninstrument()
    handle = otel_litellm.instrument(prometheus_port=0, prometheus_host="127.0.0.2")
    try:
        port = handle.server.port
        assert handle.server.host == "127.0.0.2"
        assert http_get(f"http://127.0.0.2:{port}/metrics")[0] == 200
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
    finally:
        otel_litellm.uninstrument()


@pytest.mark.parametrize("started", [{}], indirect=True)
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/metrics", 405),
        ("PUT", "/metrics", 405),
        ("DELETE", "/metrics", 405),
        ("PATCH", "/metrics", 405),
        ("HEAD", "/metrics", 405),
        ("OPTIONS", "/metrics", 501),
        ("GET", "/nope", 404),
        ("GET", "/metrics/../../etc/passwd", 404),
        ("GET", "/" + "a" * 8000, 404),
        ("GET", "/health", 200),
        ("GET", "/metrics?name[]=litellm_requests_metric_total", 200),
    ],
)
def test_bad_methods_and_paths_get_clean_answers(
    started: Any, method: str, path: str, status: int
) -> None:
    code, headers, _ = request(started, method, path)
    assert code == status
    if status == 405:
        assert headers["Allow"] == "GET"


@pytest.mark.parametrize("started", [{}], indirect=True)
def test_garbage_and_dropped_connections_do_not_stop_the_server(started: Any) -> None:
    for garbage in (
        b"\x00\xff\x16\x03\x01 not http\r\n\r\n",
        b"GET",
        b"GET /metrics HTTP/9.9\r\n\r\n",
    ):
        with socket.create_connection((started.server.host, started.server.port), timeout=5) as s:
            s.sendall(garbage)
            s.shutdown(socket.SHUT_WR)
            s.recv(1024)
    assert request(started, "GET", "/metrics")[0] == 200


def test_server_closes_its_port() -> None:
    from prometheus_client import CollectorRegistry

    server = MetricsServer(CollectorRegistry(), 0)
    port = server.port
    server.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
