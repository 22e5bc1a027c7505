"""TLS: the bridge's listener serves HTTPS with the configured certificate, and outbound
calls verify certificates except toward loopback (unless told otherwise)."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bridge.config import BridgeConfig
from bridge.runtime import BridgeRuntime
from bridge.shop.client import ShopError, WooClient
from bridge.tls import TlsConfigError, client_ssl, is_loopback, server_context
from sapchaos.net import free_port


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (openssl, as an admin does)."""
    d = tmp_path_factory.mktemp("tls")
    crt, key = d / "bridge.crt", d / "bridge.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(crt)],
        check=True, capture_output=True,
    )  # fmt: skip
    return crt, key


def test_loopback_detection_and_client_policy(cert: tuple[Path, Path]) -> None:
    assert is_loopback("http://127.0.0.1:50000/b1s/v1") and is_loopback("https://[::1]:1/")
    assert is_loopback("https://localhost:8080") and not is_loopback("https://sap.example:50000")
    assert client_ssl("https://127.0.0.1:50000") is False
    remote = client_ssl("https://sap.example:50000")
    assert isinstance(remote, ssl.SSLContext) and remote.verify_mode == ssl.CERT_REQUIRED
    assert isinstance(client_ssl("https://127.0.0.1:1", "true"), ssl.SSLContext)
    assert client_ssl("https://sap.example", "false") is False
    with pytest.raises(TlsConfigError, match="auto, true or false"):
        client_ssl("https://x", "maybe")
    with pytest.raises(TlsConfigError, match="tls_cert_file"):
        server_context("/nonexistent.crt", str(cert[1]))
    with pytest.raises(ValueError, match="go together"):
        BridgeConfig(tls_cert_file=str(cert[0]))


async def test_listener_serves_https_with_the_configured_certificate(
    cert: tuple[Path, Path], tmp_path: Path
) -> None:
    crt, key = cert
    cfg = BridgeConfig(
        store_dsn=f"sqlite:///{tmp_path / 'b.db'}",
        port=0,
        roles=("ingress",),
        tls_cert_file=str(crt),
        tls_key_file=str(key),
        ops_token_file=str(tmp_path / "tokens.json"),
    )
    async with BridgeRuntime(cfg) as rt:
        assert rt.url.startswith("https://")
        trust = ssl.create_default_context(cafile=str(crt))
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{rt.url}/livez", ssl=trust) as resp:
                assert resp.status == 200
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await http.get(f"{rt.url}/livez")  # the system store does not trust it
            with pytest.raises(aiohttp.ClientError):
                await http.get(f"http://127.0.0.1:{rt.port}/livez")  # no plain http


async def test_outbound_verification(cert: tuple[Path, Path]) -> None:
    crt, key = cert

    async def order(_request: web.Request) -> web.Response:
        return web.json_response({"id": 7})

    app = web.Application()
    app.router.add_get("/wp-json/wc/v3/orders/7", order)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(
        runner, "127.0.0.1", port, ssl_context=server_context(str(crt), str(key))
    ).start()
    try:
        url = f"https://127.0.0.1:{port}"
        for verify, ca, ok in (("auto", "", True), ("true", "", False), ("true", str(crt), True)):
            shop = WooClient(url, "ck_x", "cs_x", 5.0, ssl=client_ssl(url, verify, ca))
            try:
                if ok:
                    assert (await shop.request("GET", "orders/7"))["id"] == 7
                else:
                    with pytest.raises(ShopError):
                        await shop.request("GET", "orders/7")
            finally:
                await shop.close()
    finally:
        await runner.cleanup()
