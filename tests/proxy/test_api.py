"""API details of the embedded server: shapes, defaults, error bodies and statuses."""

from __future__ import annotations

import asyncio
import socket

import pytest

from sapchaos.net import free_port
from tests.proxy.conftest import Target, read_until_closed, round_trip


async def test_version_is_json_like_toxiproxy_2_7_and_later(target: Target) -> None:
    status, body = await target.call("GET", "/version")
    assert status == 200 and isinstance(body["version"], str)


async def test_bad_json_body_is_400(target: Target) -> None:
    status, body = await target.call("POST", "/proxies", raw=b"{not json")
    assert status == 400 and body["status"] == 400
    assert body["error"].startswith("bad request body: ")


async def test_missing_name_is_400(target: Target) -> None:
    status, body = await target.call("POST", "/proxies", {"upstream": "127.0.0.1:1"})
    assert (status, body) == (400, {"error": "missing required field: name", "status": 400})


async def test_listen_address_in_use_is_500_with_os_text(target: Target) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        status, body = await target.call(
            "POST",
            "/proxies",
            {"name": "busy", "listen": f"127.0.0.1:{port}", "upstream": "127.0.0.1:1"},
        )
    assert status == 500 and body["status"] == 500
    assert "address already in use" in body["error"]
    assert (await target.call("GET", "/proxies/busy"))[0] == 404


async def test_listen_without_port_is_500_like_go(target: Target) -> None:
    status, body = await target.call(
        "POST", "/proxies", {"name": "np", "listen": "127.0.0.1", "upstream": "127.0.0.1:1"}
    )
    assert status == 500 and "missing port in address" in body["error"]


async def test_listen_omitted_binds_an_ephemeral_port_like_go(target: Target) -> None:
    status, body = await target.call(
        "POST", "/proxies", {"name": "nolisten", "upstream": "127.0.0.1:1"}
    )
    assert status == 201, body
    port = int(str(body["listen"]).rsplit(":", 1)[1])
    assert port > 0
    assert (await target.call("DELETE", "/proxies/nolisten"))[0] == 204


async def test_created_disabled_proxy_does_not_listen(target: Target, echo_port: int) -> None:
    listen = f"127.0.0.1:{free_port()}"
    name, _, _ = await target.proxy(echo_port, listen=listen, enabled=False)
    _, body = await target.call("GET", f"/proxies/{name}")
    assert body["enabled"] is False and body["listen"] == listen
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", int(listen.rsplit(":", 1)[1]))) != 0


async def test_toxic_json_shape_defaults_and_order(target: Target, echo_port: int) -> None:
    name, _, _ = await target.proxy(echo_port)
    created = await target.toxic(name, type="latency")
    assert created == {
        "attributes": {"latency": 0, "jitter": 0},
        "name": "latency_downstream",
        "type": "latency",
        "stream": "downstream",
        "toxicity": 1.0,
    }
    await target.toxic(name, type="slicer", stream="upstream", toxicity=0.25)
    status, toxics = await target.call("GET", f"/proxies/{name}/toxics")
    assert status == 200
    assert [t["name"] for t in toxics] == ["slicer_upstream", "latency_downstream"]
    assert toxics[0]["attributes"] == {"average_size": 0, "size_variation": 0, "delay": 0}
    assert toxics[0]["toxicity"] == 0.25


async def test_toxic_update_merges_attributes_and_keeps_toxicity(
    target: Target, echo_port: int
) -> None:
    name, _, _ = await target.proxy(echo_port)
    await target.toxic(name, type="latency", toxicity=0.5, attributes={"latency": 10, "jitter": 5})
    status, body = await target.call(
        "PATCH", f"/proxies/{name}/toxics/latency_downstream", {"attributes": {"jitter": 7}}
    )
    assert status == 200
    assert body["attributes"] == {"latency": 10, "jitter": 7} and body["toxicity"] == 0.5


async def test_invalid_stream_and_bad_attributes_are_400(target: Target, echo_port: int) -> None:
    name, _, _ = await target.proxy(echo_port)
    status, body = await target.call(
        "POST", f"/proxies/{name}/toxics", {"type": "latency", "stream": "sideways"}
    )
    assert status == 400
    assert body["error"] == "stream was invalid, can be either upstream or downstream"
    status, body = await target.call(
        "POST", f"/proxies/{name}/toxics", {"type": "latency", "attributes": {"latency": "x"}}
    )
    assert status == 400 and body["error"].startswith("bad request body")


async def test_toxics_of_unknown_proxy_404(target: Target) -> None:
    status, body = await target.call("POST", "/proxies/ghost/toxics", {"type": "latency"})
    assert (status, body) == (404, {"error": "proxy not found", "status": 404})
    status, body = await target.call("DELETE", "/proxies/ghost")
    assert status == 404


async def test_populate_missing_field_names_the_position(target: Target) -> None:
    status, body = await target.call(
        "POST", "/populate", [{"name": "a", "upstream": "127.0.0.1:1"}, {"name": "b"}]
    )
    assert status == 400
    assert body["error"] == "missing required field: upstream at proxy 2"
    assert (await target.call("GET", "/proxies/a"))[0] == 404  # nothing was created


async def test_update_changes_upstream_and_restarts(target: Target, echo_port: int) -> None:
    name, _, _ = await target.proxy(echo_port)
    status, body = await target.call("POST", f"/proxies/{name}", {"upstream": "127.0.0.1:9"})
    assert status == 200 and body["upstream"] == "127.0.0.1:9" and body["enabled"] is True


async def test_browsers_are_refused_like_the_reference_server(target: Target) -> None:
    async with target.session.get(
        target.url + "/proxies", headers={"User-Agent": "Mozilla/5.0"}
    ) as resp:
        assert resp.status == 403


async def test_changing_listen_restarts_and_drops_connections(
    target: Target, echo_port: int
) -> None:
    name, host, port = await target.proxy(echo_port)
    reader, writer = await asyncio.open_connection(host, port)
    await round_trip(reader, writer)
    new_listen = f"127.0.0.1:{free_port()}"
    status, body = await target.call("POST", f"/proxies/{name}", {"listen": new_listen})
    assert status == 200 and body["listen"] == new_listen and body["enabled"] is True
    assert await read_until_closed(reader) == b""
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection(host, port)
    r2, w2 = await asyncio.open_connection("127.0.0.1", int(new_listen.rsplit(":", 1)[1]))
    await round_trip(r2, w2)
    w2.close()
    writer.close()
