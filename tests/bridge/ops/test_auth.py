"""``/ops`` is never open: tokens, roles, login sessions and the cross-site guard."""

from __future__ import annotations

import re

from tests.bridge.ops.conftest import EMAIL, OP, RO, OpsApp, dead_order


async def test_ops_without_a_token_is_401_and_health_and_metrics_stay_open(ops: OpsApp) -> None:
    c = ops.client
    for path in ("/ops/dlq", "/ops/stats", "/ops/quarantine", "/ops/orders/1", "/ops/audit"):
        resp = await c.get(path)
        assert resp.status == 401, path
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await c.post("/ops/dlq/replay-all")).status == 401
    assert (await c.get("/ops/dlq", headers={"Authorization": "Bearer wrong-token"})).status == 401
    assert (await c.get("/ops/dlq", headers={"Authorization": "Basic YWxpY2U6eA=="})).status == 401
    # the dashboard sends a browser to its login page
    resp = await c.get("/ops/ui", allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == "/ops/login"
    for path in ("/livez", "/readyz", "/healthz", "/metrics"):
        assert (await c.get(path)).status == 200, path
    # the dashboard's stylesheet and script hold no data: served to the login page too
    for path in ("/ops/static/style.css", "/ops/static/live.js"):
        assert (await c.get(path)).status == 200, path
    assert (await c.get("/ops/static/other")).status == 404
    assert (await c.post("/ops/static/style.css")).status == 401


async def test_read_only_cannot_replay_operator_can_and_the_audit_names_them(ops: OpsApp) -> None:
    dl = await dead_order(ops.store, 501)
    c = ops.client
    resp = await c.post(f"/ops/dlq/{dl}/replay", headers=RO)
    assert resp.status == 403 and (await resp.json())["code"] == "forbidden_role"
    assert (await c.post("/ops/dlq/replay-all", headers=RO)).status == 403
    assert (await ops.store.get_dead_letter(dl)).replayed_at is None  # type: ignore[union-attr]
    resp = await c.post(f"/ops/dlq/{dl}/replay", headers=OP)
    assert resp.status == 200 and (await resp.json())["replayed"] == [dl]
    assert (await c.post(f"/ops/dlq/{dl}/replay", headers=OP)).status == 409
    assert (await c.post("/ops/dlq/99999/replay", headers=OP)).status == 404
    [entry] = await ops.store.list_audit(order_id=501)
    assert (entry.actor, entry.role, entry.action) == ("alice", "operator", "dlq.replay")
    assert entry.detail["dead_letter"] == dl and entry.detail["via"] == "api"
    # a read-only token reads the trail
    audit = await (await c.get("/ops/audit?order=501", headers=RO)).json()
    assert [a["actor"] for a in audit["audit"]] == ["alice"]


async def test_cross_site_replay_is_refused(ops: OpsApp) -> None:
    """The attack of the issue: a foreign page POSTs text/plain to replay-all."""
    dl = await dead_order(ops.store, 502)
    c = ops.client
    evil = {"Origin": "https://evil.example", "Content-Type": "text/plain"}
    resp = await c.post("/ops/dlq/replay-all", data="x", headers={**OP, **evil})
    assert resp.status == 403 and (await resp.json())["code"] == "cross_site"
    resp = await c.post(
        "/ops/dlq/replay-all",
        data="x",
        headers={**OP, "Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"},
    )
    assert resp.status == 403
    # with a logged-in operator's session cookie, from another site
    await _login(ops, "op-token-0123456789abcdef")
    resp = await c.post("/ops/dlq/replay-all", data="x", headers=evil)
    assert resp.status == 403
    # same origin but without the CSRF token: refused too
    resp = await c.post("/ops/dlq/replay-all", data="x", headers={"Content-Type": "text/plain"})
    assert resp.status == 403 and (await resp.json())["code"] == "csrf"
    assert (await ops.store.get_dead_letter(dl)).replayed_at is None  # type: ignore[union-attr]
    assert all(e.action != "dlq.replay" for e in await ops.store.list_audit())


async def _login(ops: OpsApp, token: str) -> str:
    """Log in through the form; returns the CSRF token the dashboard embeds."""
    c = ops.client
    resp = await c.post("/ops/login", data={"token": token}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/ops/ui"
    cookie = resp.cookies["sapchaos_ops"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    page = await (await c.get("/ops/ui")).text()
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


async def test_dashboard_session_replays_with_its_csrf_token(ops: OpsApp) -> None:
    dl = await dead_order(ops.store, 503)
    csrf = await _login(ops, "op-token-0123456789abcdef")
    c = ops.client
    resp = await c.post(
        f"/ops/ui/dlq/{dl}/replay",
        data={"csrf": csrf, "back": "/ops/ui/order?q=503"},
        allow_redirects=False,
    )
    assert resp.status == 303 and "replayed" in resp.headers["Location"]
    assert (await ops.store.get_dead_letter(dl)).replayed_at is not None  # type: ignore[union-attr]
    [entry] = await ops.store.list_audit(order_id=503)
    assert entry.detail["via"] == "dashboard" and entry.actor == "alice"
    # an open redirect is not possible through "back"
    resp = await c.post(
        f"/ops/ui/dlq/{dl}/replay",
        data={"csrf": csrf, "back": "https://evil.example/"},
        allow_redirects=False,
    )
    assert resp.headers["Location"].startswith("/ops/ui?error=")


async def test_login_refuses_unknown_tokens_and_cross_site_posts(ops: OpsApp) -> None:
    c = ops.client
    resp = await c.post("/ops/login", data={"token": "nope"}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"].startswith("/ops/login?error=")
    resp = await c.post(
        "/ops/login",
        data={"token": "op-token-0123456789abcdef"},
        headers={"Origin": "https://evil.example"},
        allow_redirects=False,
    )
    assert resp.status == 403
    # a forged cookie is no session
    c.session.cookie_jar.update_cookies({"sapchaos_ops": "eyJuIjoiYSJ9.forged"})
    assert (await c.get("/ops/dlq")).status == 401


async def test_read_only_sees_personal_data_masked(ops: OpsApp) -> None:
    dl = await dead_order(ops.store, 504)
    c = ops.client
    ro = await (await c.get("/ops/orders/504", headers=RO)).json()
    op = await (await c.get("/ops/orders/504", headers=OP)).json()
    ro_text, op_text = str(ro), str(op)
    assert EMAIL not in ro_text and "'Jane'" not in ro_text and "Jane Customer" not in ro_text
    assert EMAIL in op_text and "Jane Customer" in op_text
    assert ro["snapshot"]["payload"]["billing"]["email"] != EMAIL
    shown = await (await c.get(f"/ops/dlq/{dl}", headers=RO)).json()
    assert EMAIL not in str(shown) and shown["payload"]["CardName"] != "Jane Customer"
    # the order view has the ledger, the dead letter and its reason
    assert [r["status"] for r in op["ledger"]] == ["failed"]
    assert op["dead_letters"][0]["code"] == "-10" and op["correlation_id"] == "wc:504"
    # the HTML page for a read-only session masks too
    resp = await c.post(
        "/ops/login", data={"token": "ro-token-0123456789abcdef"}, allow_redirects=False
    )
    assert resp.status == 303
    html = await (await c.get("/ops/ui/order?q=504")).text()
    assert EMAIL not in html and "operator only" in html
    assert (await c.get("/ops/ui/order?q=wc:504")).status == 200


async def test_quarantined_body_is_masked_for_read_only(ops: OpsApp) -> None:
    from bridge.store.base import QuarantineEntry

    body = (f'{{"id": 7, "billing": {{"email": "{EMAIL}", "phone": "+34 600 111 222"}}}}').encode()
    qid = await ops.store.quarantine(
        QuarantineEntry("woocommerce", "order.created", {}, body, "missing fields", 1.0)
    )
    ro = await (await ops.client.get(f"/ops/quarantine/{qid}", headers=RO)).json()
    op = await (await ops.client.get(f"/ops/quarantine/{qid}", headers=OP)).json()
    assert EMAIL not in ro["body"] and "600 111 222" not in ro["body"]
    assert EMAIL in op["body"]
    await ops.store.quarantine(
        QuarantineEntry(
            "woocommerce", "order.created", {}, b"name=Jane&" + EMAIL.encode(), "x", 2.0
        )
    )
    listed = await (await ops.client.get("/ops/quarantine", headers=RO)).json()
    assert len(listed["quarantine"]) == 2
    newest = await (await ops.client.get(f"/ops/quarantine/{qid + 1}", headers=RO)).json()
    assert "hidden for the read-only role" in newest["body"]


async def test_origin_null_is_trusted_only_with_sec_fetch_site(ops: OpsApp) -> None:
    """Chromium sends ``Origin: null`` on some same-origin form posts; a sandboxed foreign
    frame sends it too, without ``Sec-Fetch-Site: same-origin``."""
    dl = await dead_order(ops.store, 505)
    c = ops.client
    resp = await c.post(f"/ops/dlq/{dl}/replay", headers={**OP, "Origin": "null"})
    assert resp.status == 403
    resp = await c.post(
        f"/ops/dlq/{dl}/replay",
        headers={**OP, "Origin": "null", "Sec-Fetch-Site": "same-origin"},
    )
    assert resp.status == 200


async def test_a_magento_number_finds_its_order_through_the_events(ops: OpsApp) -> None:
    from bridge.store.base import OutboxEvent

    await dead_order(ops.store, 42)
    await ops.store.enqueue_events(
        [OutboxEvent("e-1", "order.failed", "mg:000000042", {"order_id": 42})]
    )
    view = await (await ops.client.get("/ops/orders/mg:000000042", headers=OP)).json()
    assert view["order_id"] == 42 and [e["type"] for e in view["events"]] == []
    assert (await ops.client.get("/ops/orders/000000042", headers=OP)).status == 200
    assert (await ops.client.get("/ops/orders/mg:000000099", headers=OP)).status == 404
    assert (await ops.client.get("/ops/orders/xx:42", headers=OP)).status == 404
