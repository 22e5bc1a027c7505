"""No personal data of the generated customers, unmasked, in the bridge's log file.

Logs travel to log platforms with wide access and long retention; GDPR treats a
customer's email, phone, name and national id (Spanish DNI/NIE) as personal data. The
oracle knows every customer from the shop's ground truth and searches the bridge's log
lines for each value as written. A violation names the order, the kind of datum and the
log line number — never the datum itself.
"""

from __future__ import annotations

import re
from typing import Any

from scenarios.oracle.contract import Contract
from scenarios.oracle.histories import Histories

Violation = dict[str, Any]
MAX_VIOLATIONS = 50


def personal_data(order: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, value) of every personal datum of one order worth searching for."""
    out: list[tuple[str, str]] = []
    for part in ("billing", "shipping"):
        person = order.get(part) or {}
        email = str(person.get("email") or "")
        if "@" in email:
            out.append(("email", email))
        phone = str(person.get("phone") or "")
        if len(re.sub(r"\D", "", phone)) >= 7:
            out.append(("phone", phone))
        name = f"{person.get('first_name') or ''} {person.get('last_name') or ''}".strip()
        if " " in name and len(name) >= 5:
            out.append(("name", name))
    for meta in order.get("meta_data") or []:
        if isinstance(meta, dict) and meta.get("key") in ("_billing_nif", "_billing_vat", "nif"):
            value = str(meta.get("value") or "")
            if len(value) >= 8:
                out.append(("national_id", value))
    return out


def no_pii_in_log(h: Histories, c: Contract) -> list[Violation]:
    """Search the bridge's log lines for every customer's email, phone, name and tax id."""
    if not h.bridge_log:
        return []
    owners: dict[str, tuple[int, str]] = {}
    for rec in h.shop_orders:
        for kind, value in personal_data(rec.get("order") or {}):
            owners.setdefault(value, (int(rec["id"]), kind))
            # JSON logs escape non-ASCII names; search the escaped spelling too
            escaped = value.encode("ascii", "backslashreplace").decode().replace("\\x", "\\u00")
            if escaped != value:
                owners.setdefault(escaped, (int(rec["id"]), kind))
    if not owners:
        return []
    pattern = re.compile("|".join(re.escape(v) for v in sorted(owners, key=len, reverse=True)))
    out: list[Violation] = []
    for line_no, line in enumerate(h.bridge_log, start=1):
        for m in pattern.finditer(line):
            oid, kind = owners[m.group(0)]
            out.append({"order_id": oid, "kind": kind, "log_line": line_no})
            if len(out) >= MAX_VIOLATIONS:
                return out
    return out
