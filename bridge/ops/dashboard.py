"""The ops dashboard: server-rendered HTML under ``/ops/ui`` with a login page.

Search an order by id or number and see its snapshot, ledger, attempts (with errors),
SAP document numbers, events sent and audit trail; the DLQ with reasons and a one-click
replay; the quarantine; key figures refreshed live by a small script polling
``/ops/figures``. Every form that changes something carries the session's CSRF token.
No asset comes from another site (the page works on an air-gapped host), and the
headers forbid framing (clickjacking) and caching.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bridge.ops.api import masked_for, path_int, principal_of, replay
from bridge.ops.auth import SESSION_COOKIE, OpsAuth, same_origin
from bridge.ops.views import dlq_json, order_view, quarantine_json, resolve_order
from bridge.store.base import Store

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{background:#1d2330;color:#fff;padding:8px 16px;display:flex;gap:16px;align-items:center}
header a{color:#cfe0ff} main{padding:16px} h2{margin:20px 0 8px}
table{border-collapse:collapse;background:#fff;width:100%} td,th{border:1px solid #dde;padding:4px 6px;
text-align:left;vertical-align:top} th{background:#eef} .err{color:#a00} .ok{color:#070}
.figs{display:flex;flex-wrap:wrap;gap:8px} .fig{background:#fff;border:1px solid #dde;padding:8px 12px;
min-width:110px} .fig b{display:block;font-size:20px} pre{white-space:pre-wrap;max-height:320px;
overflow:auto;background:#fff;border:1px solid #dde;padding:8px} .flash{background:#e6f6e6;
border:1px solid #9c9;padding:8px;margin-bottom:12px} .flash.bad{background:#fbe9e9;border-color:#c99}
"""

LIVE_JS = """
(function(){
  function show(id, v){var e=document.getElementById(id); if(e) e.textContent=v;}
  function pct(t){return t && t.p50!==null ? t.p50+'s / '+t.p95+'s' : '-';}
  async function tick(){
    try{
      var r = await fetch('/ops/figures', {credentials:'same-origin'});
      if(!r.ok) return;
      var f = await r.json();
      show('fig-backlog', f.backlog); show('fig-retrying', f.retrying);
      show('fig-dlq', f.dlq); show('fig-quarantine', f.quarantine);
      show('fig-ppm', f.processed_per_minute); show('fig-ratio', f.success_ratio);
      show('fig-publag', f.publish_lag_s+'s'); show('fig-conslag', f.consume_lag_s+'s');
      show('fig-tta-sap', pct(f.tta_sap)); show('fig-tta-shop', pct(f.tta_shop));
      var open = Object.entries(f.breakers||{}).filter(function(e){
        return e[1] && e[1].state && e[1].state !== 'closed';}).map(function(e){return e[0];});
      show('fig-breakers', open.length ? open.join(', ') + ' open' : 'all closed');
      var wh = f.webhooks;
      show('fig-webhooks', !wh ? 'n/a' : (wh.disabled === null ? 'unknown' : wh.disabled));
      show('fig-at', new Date(f.at*1000).toISOString().slice(11,19));
    }catch(e){}
  }
  tick(); setInterval(tick, 2000);
})();
"""


def _ts(t: float | None) -> str:
    if t is None:
        return "-"
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def page(title: str, body: str, who: str = "", csrf: str = "") -> web.Response:
    logout = (
        f'<form method="post" action="/ops/logout" style="margin:0">'
        f'<input type="hidden" name="csrf" value="{_e(csrf)}">'
        f'<button type="submit">log out</button></form>'
        if who
        else ""
    )
    html = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{_e(title)} · sapchaos ops</title>"
        '<link rel="stylesheet" href="/ops/static/style.css"></head><body>'
        '<header><b>sapchaos bridge ops</b><a href="/ops/ui">overview</a>'
        f'<span style="flex:1"></span><span id="who">{_e(who)}</span>{logout}</header>'
        f'<main>{body}</main><script src="/ops/static/live.js"></script></body></html>'
    )
    return web.Response(text=html, content_type="text/html", headers=SECURITY_HEADERS)


def table(header: list[str], rows: list[list[str]], empty: str = "none") -> str:
    """``rows`` hold HTML already escaped by the caller."""
    if not rows:
        return f"<p><i>{_e(empty)}</i></p>"
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


FIGURES = [
    ("fig-backlog", "backlog"),
    ("fig-retrying", "retrying"),
    ("fig-dlq", "DLQ"),
    ("fig-quarantine", "quarantine"),
    ("fig-ppm", "processed/min"),
    ("fig-ratio", "success ratio"),
    ("fig-tta-sap", "TTA SAP p50/p95"),
    ("fig-tta-shop", "TTA shop p50/p95"),
    ("fig-publag", "publish lag"),
    ("fig-conslag", "consume lag"),
    ("fig-breakers", "breakers"),
    ("fig-webhooks", "disabled webhooks"),
    ("fig-at", "refreshed"),
]


def _flash(request: web.Request) -> str:
    ok, bad = request.query.get("ok"), request.query.get("error")
    if ok:
        return f'<div class="flash" id="flash">{_e(ok)}</div>'
    if bad:
        return f'<div class="flash bad" id="flash">{_e(bad)}</div>'
    return ""


def _replay_form(dl_id: int, csrf: str, back: str) -> str:
    return (
        f'<form method="post" action="/ops/ui/dlq/{dl_id}/replay" style="margin:0">'
        f'<input type="hidden" name="csrf" value="{_e(csrf)}">'
        f'<input type="hidden" name="back" value="{_e(back)}">'
        f'<button type="submit" class="replay" data-id="{dl_id}">replay</button></form>'
    )


def _dlq_rows(rows: list[dict[str, Any]], writer: bool, csrf: str, back: str) -> list[list[str]]:
    out = []
    for d in rows:
        action = (
            "replayed " + _ts(d["replayed_at"])
            if d["replayed_at"] is not None
            else (_replay_form(d["id"], csrf, back) if writer else "operator only")
        )
        out.append(
            [
                _e(d["id"]),
                f'<a href="/ops/ui/order?q={d["order_id"]}">{_e(d["order_id"])}</a>',
                _e(d["op"]),
                _e(d["code"]),
                f'<span class="err">{_e(d["message"])}</span>',
                _e(_ts(d["created_at"])),
                action,
            ]
        )
    return out


def add_dashboard_routes(app: web.Application, store: Store, auth: OpsAuth) -> None:
    def csrf_of(request: web.Request) -> str:
        cookie = request.cookies.get(SESSION_COOKIE, "")
        return auth.csrf_token(cookie) if cookie else ""

    def who(request: web.Request) -> str:
        p = principal_of(request)
        return f"{p.name} ({p.role})"

    async def login_form(request: web.Request) -> web.Response:
        bad = request.query.get("error")
        msg = f'<div class="flash bad" id="flash">{_e(bad)}</div>' if bad else ""
        body = (
            f"<h2>Log in</h2>{msg}<form method=post action=/ops/login>"
            '<label>Ops token <input type="password" name="token" id="token" size="50" '
            'autocomplete="off" required></label> <button type="submit" id="login">log in'
            "</button></form><p>The token is in the file the bridge named at start "
            "(<code>bridge-ops-tokens.json</code>), or in <code>SAPCHAOS_BRIDGE_OPS_*_TOKEN"
            "</code>.</p>"
        )
        return page("log in", body)

    async def login(request: web.Request) -> web.Response:
        if not same_origin(request):
            return web.Response(status=403, text="cross-site login refused")
        form = await request.post()
        principal = auth.by_token(str(form.get("token", "")).strip())
        if principal is None:
            raise web.HTTPSeeOther("/ops/login?error=" + quote("Unknown token."))
        resp = web.HTTPSeeOther("/ops/ui")
        resp.set_cookie(
            SESSION_COOKIE,
            auth.issue_session(principal),
            httponly=True,
            samesite="Strict",
            secure=request.secure,
            path="/ops",
            max_age=int(auth.session_ttl_s),
        )
        raise resp

    async def logout(_request: web.Request) -> web.Response:
        resp = web.HTTPSeeOther("/ops/login")
        resp.del_cookie(SESSION_COOKIE, path="/ops")
        raise resp

    async def live_js(_request: web.Request) -> web.Response:
        return web.Response(
            text=LIVE_JS, content_type="application/javascript", headers=SECURITY_HEADERS
        )

    async def style_css(_request: web.Request) -> web.Response:
        return web.Response(text=STYLE, content_type="text/css", headers=SECURITY_HEADERS)

    async def overview(request: web.Request) -> web.Response:
        writer = principal_of(request).can_write
        csrf = csrf_of(request)
        masked = masked_for(request)
        figs = "".join(
            f'<div class="fig"><b id="{fid}">…</b>{_e(label)}</div>' for fid, label in FIGURES
        )
        dlq = [dlq_json(d, masked) for d in await store.list_dead_letters(100, 0, False)]
        quarantine = await store.list_quarantine(50, 0, None)
        q_rows = [
            [
                f'<a href="/ops/ui/quarantine/{q.id}">{_e(q.id)}</a>',
                _e(q.kind),
                _e(q.topic),
                _e(quarantine_json(q, masked=masked)["reason"]),
                _e(_ts(q.received_at)),
            ]
            for q in quarantine
        ]
        body = (
            _flash(request) + '<form method="get" action="/ops/ui/order"><input name="q" id="q" '
            'placeholder="order id, #number, wc:id or mg:number" size="30" required> '
            '<button type="submit" id="search">find order</button></form>'
            f'<h2>Key figures</h2><div class="figs">{figs}</div>'
            "<h2>Dead letters</h2>"
            + table(
                ["id", "order", "op", "code", "reason", "created", ""],
                _dlq_rows(dlq, writer, csrf, "/ops/ui"),
                "no dead letters",
            )
            + "<h2>Quarantine</h2>"
            + table(["id", "kind", "topic", "reason", "received"], q_rows, "nothing quarantined")
        )
        return page("overview", body, who(request), csrf)

    async def order(request: web.Request) -> web.Response:
        q = request.query.get("q", "")
        oid = await resolve_order(store, q)
        view = await order_view(store, oid, masked_for(request)) if oid is not None else None
        csrf = csrf_of(request)
        if view is None:
            body = (
                _flash(request)
                + f"<h2>Order {_e(q)}</h2><p id=notfound>The bridge knows no such order.</p>"
            )
            return page("order", body, who(request), csrf)
        snap = view["snapshot"] or {}
        job = view["job"] or {}
        ledger = [
            [
                _e(r["idem_key"]),
                _e(r["op"]),
                f'<span class="{"ok" if r["status"] == "done" else "err"}">{_e(r["status"])}</span>',
                _e(r["target_entity"]),
                _e(r["target_docnum"]),
                _e(r["attempts"]),
                f'<span class="err">{_e(r["last_error"])}</span>',
                _e(_ts(r["updated_at"])),
            ]
            for r in view["ledger"]
        ]
        attempts = [
            [
                _e(_ts(a["at"])),
                _e(a["op"]),
                f'<span class="{"ok" if a["outcome"] in ("ok", "done", "created") else "err"}">'
                f"{_e(a['outcome'])}</span>",
                f"<code>{_e(json.dumps(a['detail'], ensure_ascii=False)[:400])}</code>",
                _e(round(a["duration_ms"], 1)),
            ]
            for a in view["attempts"]
        ]
        docs = [
            [_e(d["op"]), _e(d["entity"]), _e(d["docentry"]), _e(d["docnum"])]
            for d in view["sap_documents"]
        ]
        events = [
            [_e(e["type"]), _e(e["event_id"]), _e(_ts(e["created_at"])), _e(_ts(e["published_at"]))]
            for e in view["events"]
        ]
        audit = [
            [
                _e(a["seq"]),
                _e(_ts(a["at"])),
                _e(a["actor"]),
                _e(a["role"]),
                _e(a["action"]),
                _e(a["target"]),
            ]
            for a in view["audit"]
        ]
        back = f"/ops/ui/order?q={view['order_id']}"
        writer = principal_of(request).can_write
        summary = (
            f"<table id=summary><tr><th>correlation id</th><td>{_e(view['correlation_id'])}</td>"
            f"<th>status</th><td>{_e(snap.get('status'))}</td><th>number</th>"
            f"<td>{_e(snap.get('number'))}</td><th>total</th><td>{_e(snap.get('total'))}</td></tr>"
            f"<tr><th>job</th><td id=job-status>{_e(job.get('status'))}</td><th>attempts</th>"
            f"<td>{_e(job.get('attempts'))}</td><th>last error</th><td colspan=3 class=err>"
            f"{_e(job.get('last_error'))}</td></tr></table>"
        )
        body = (
            _flash(request)
            + f"<h2 id=order-title>Order {_e(view['order_id'])}</h2>{summary}"
            + "<h2>Ledger</h2><div id=ledger>"
            + table(
                ["key", "op", "status", "entity", "SAP DocNum", "tries", "error", "updated"],
                ledger,
                "no ledger rows yet",
            )
            + "</div><h2>SAP documents</h2>"
            + table(["op", "entity", "DocEntry", "DocNum"], docs, "no SAP document yet")
            + "<h2>Dead letters</h2>"
            + table(
                ["id", "order", "op", "code", "reason", "created", ""],
                _dlq_rows(view["dead_letters"], writer, csrf, back),
                "none",
            )
            + "<h2>Attempts</h2>"
            + table(["at", "op", "outcome", "detail", "ms"], attempts, "no attempts yet")
            + "<h2>Events sent</h2>"
            + table(["type", "event id", "created", "published"], events, "no events")
            + "<h2>Audit trail</h2>"
            + table(["seq", "at", "who", "role", "action", "target"], audit, "no manual action")
            + "<h2>Snapshot</h2><pre id=snapshot>"
            + _e(json.dumps(snap.get("payload"), indent=2, ensure_ascii=False))
            + "</pre>"
        )
        return page(f"order {view['order_id']}", body, who(request), csrf)

    async def quarantine_entry(request: web.Request) -> web.Response:
        qid = path_int(request, "id")
        row = await store.get_quarantine(qid) if qid is not None else None
        if row is None:
            return page(
                "quarantine", "<p>No such quarantine entry.</p>", who(request), csrf_of(request)
            )
        data = quarantine_json(row, True, masked_for(request))
        body = (
            f"<h2>Quarantine {_e(row.id)}</h2>"
            + table(
                ["kind", "topic", "source", "reason", "received", "size"],
                [
                    [
                        _e(data["kind"]),
                        _e(data["topic"]),
                        _e(data["source"]),
                        _e(data["reason"]),
                        _e(_ts(row.received_at)),
                        _e(data["size"]),
                    ]
                ],
            )
            + f"<h2>Body</h2><pre id=body>{_e(data.get('body', data.get('body_base64')))}</pre>"
        )
        return page("quarantine", body, who(request), csrf_of(request))

    async def replay_form(request: web.Request) -> web.Response:
        form: Mapping[str, Any] = await request.post()
        back = str(form.get("back", "/ops/ui"))
        if not back.startswith("/ops/ui"):
            back = "/ops/ui"  # never an open redirect
        sep = "&" if "?" in back else "?"
        did = path_int(request, "id")
        status, result = (
            await replay(store, principal_of(request), did, "dashboard")
            if did is not None
            else (404, {"message": "No such dead letter."})
        )
        if status == 200:
            msg = f"Dead letter {did} replayed: the order is queued again."
            raise web.HTTPSeeOther(f"{back}{sep}ok={quote(msg)}")
        raise web.HTTPSeeOther(f"{back}{sep}error={quote(str(result['message']))}")

    async def root(_request: web.Request) -> web.Response:
        raise web.HTTPFound("/ops/ui")

    app.router.add_get("/ops/login", login_form)
    app.router.add_post("/ops/login", login)
    app.router.add_post("/ops/logout", logout)
    app.router.add_get("/ops", root)
    app.router.add_get("/ops/", root)
    app.router.add_get("/ops/ui", overview)
    app.router.add_get("/ops/static/live.js", live_js)
    app.router.add_get("/ops/static/style.css", style_css)
    app.router.add_get("/ops/ui/order", order)
    app.router.add_get("/ops/ui/quarantine/{id}", quarantine_entry)
    app.router.add_post("/ops/ui/dlq/{id}/replay", replay_form)
