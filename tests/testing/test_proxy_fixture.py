"""The ``sapchaos_proxy`` fixture: your own links, cuts healed on exit, toxics, reset."""

from __future__ import annotations

import time

import pytest
import requests
from pytest_httpserver import HTTPServer

from sapchaos.testing import ProxyClient


@pytest.fixture
def link(sapchaos_proxy: ProxyClient, httpserver: HTTPServer) -> str:
    httpserver.expect_request("/ping").respond_with_data("pong")
    listen = sapchaos_proxy.create("to_upstream", f"{httpserver.host}:{httpserver.port}")
    return f"http://{listen}/ping"


def _get(url: str, timeout: float = 5.0) -> str:
    with requests.Session() as s:  # a fresh connection each time
        return s.get(url, timeout=timeout).text


def test_cut_and_heal(sapchaos_proxy: ProxyClient, link: str) -> None:
    assert _get(link) == "pong"
    with sapchaos_proxy.cut("to_upstream"), pytest.raises(requests.ConnectionError):
        _get(link)
    assert _get(link) == "pong"


def test_cut_heals_on_error(sapchaos_proxy: ProxyClient, link: str) -> None:
    with pytest.raises(RuntimeError), sapchaos_proxy.cut("to_upstream"):
        raise RuntimeError("test failed inside the cut")
    assert _get(link) == "pong"


def test_latency_toxic(sapchaos_proxy: ProxyClient, link: str) -> None:
    sapchaos_proxy.latency("to_upstream", 300)
    started = time.monotonic()
    assert _get(link) == "pong"
    assert time.monotonic() - started >= 0.3  # a lower bound: never flaky on a slow box


def test_timeout_toxic(sapchaos_proxy: ProxyClient, link: str) -> None:
    sapchaos_proxy.timeout("to_upstream", 0, stream="upstream")  # the request never arrives
    with pytest.raises(requests.Timeout):
        _get(link, timeout=0.5)


def test_bandwidth_and_removal(sapchaos_proxy: ProxyClient, link: str) -> None:
    name = sapchaos_proxy.bandwidth("to_upstream", 1, stream="upstream")
    sapchaos_proxy.remove_toxic("to_upstream", name)
    assert _get(link) == "pong"


def test_unknown_link_names_the_known_ones(sapchaos_proxy: ProxyClient, link: str) -> None:
    with pytest.raises(KeyError, match="to_upstream"):
        sapchaos_proxy.disable("no_such_link")


def test_leaves_nothing_for_the_next_test(sapchaos_proxy: ProxyClient) -> None:
    # the previous tests' link and toxics are gone
    assert "to_upstream" not in sapchaos_proxy.links
    assert "to_upstream" not in sapchaos_proxy.thread.call("GET", f"{sapchaos_proxy.url}/proxies")
