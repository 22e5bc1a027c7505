"""The audit log's hash chain catches an edited, an inserted and a deleted entry, on both
backends, through the library and through ``sapchaos bridge audit verify``."""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys

import asyncpg
import pytest

from bridge.ops.audit import verify_entries, verify_store
from bridge.store import Store
from bridge.store.base import GENESIS_HASH, audit_hash, canonical_json


async def _chain(store: Store, n: int = 5) -> None:
    for i in range(n):
        await store.append_audit(
            "alice", "operator", "dlq.replay", f"dead_letter:{i}", {"dead_letter": i}, 100 + i
        )


async def _tamper(store_dsn: str, statement: str, *args: object) -> None:
    """What an attacker with database access does (PostgreSQL: past the append-only trigger)."""
    if store_dsn.startswith("sqlite:///"):
        import sqlite3

        path = store_dsn[len("sqlite:///") :]
        conn = sqlite3.connect(path)
        conn.execute(statement.replace("$1", "?").replace("$2", "?"), args)
        conn.commit()
        conn.close()
        return
    base, _, query = store_dsn.partition("?")
    schema = dict(p.split("=", 1) for p in query.split("&"))["schema"]
    conn = await asyncpg.connect(base)
    try:
        await conn.execute(f'SET search_path TO "{schema}"')
        await conn.execute("ALTER TABLE ops_audit DISABLE TRIGGER ops_audit_no_change")
        await conn.execute(statement, *args)
    finally:
        await conn.close()


async def test_an_intact_chain_verifies(store: Store) -> None:
    await _chain(store)
    entries = await store.list_audit()
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    report = await verify_store(store)
    assert report.ok and report.entries == 5 and report.head_hash == entries[-1].hash
    assert [e.seq for e in await store.list_audit(order_id=102)] == [3]


async def test_concurrent_appenders_never_fork_the_chain(store: Store) -> None:
    await asyncio.gather(
        *(store.append_audit("p", "operator", "x", f"t{i}", {"i": i}) for i in range(20))
    )
    report = await verify_store(store)
    assert report.ok and report.entries == 20


async def test_an_edited_entry_is_detected(store: Store, store_dsn: str) -> None:
    await _chain(store)
    await _tamper(store_dsn, "UPDATE ops_audit SET actor = $1 WHERE seq = $2", "mallory", 3)
    report = await verify_store(store)
    assert not report.ok
    assert [(p.seq, p.kind) for p in report.problems] == [(3, "edited")]


async def test_a_deleted_entry_is_detected(store: Store, store_dsn: str) -> None:
    await _chain(store)
    await _tamper(store_dsn, "DELETE FROM ops_audit WHERE seq = $1", 2)
    report = await verify_store(store)
    kinds = {(p.seq, p.kind) for p in report.problems}
    assert (3, "gap") in kinds and (3, "broken_link") in kinds


async def test_an_inserted_entry_is_detected(store: Store, store_dsn: str) -> None:
    """A forger who renumbers and hashes their entry correctly still breaks the next link."""
    await _chain(store, 3)
    entries = await store.list_audit()
    await _tamper(store_dsn, "DELETE FROM ops_audit WHERE seq = $1", 3)
    detail = canonical_json({"dead_letter": 99})
    fake_hash = audit_hash(
        3, 5.0, "mallory", "operator", "dlq.replay", "dead_letter:99", None, detail, entries[1].hash
    )
    await _tamper(
        store_dsn,
        "INSERT INTO ops_audit (seq, at, actor, role, action, target, order_id, detail, "
        f"prev_hash, hash) VALUES (3, 5.0, 'mallory', 'operator', 'dlq.replay', "
        f"'dead_letter:99', NULL, '{detail}', '{entries[1].hash}', '{fake_hash}')",
    )
    e3 = entries[2]
    await _tamper(
        store_dsn,
        "INSERT INTO ops_audit (seq, at, actor, role, action, target, order_id, detail, "
        f"prev_hash, hash) VALUES (4, {e3.at!r}, '{e3.actor}', '{e3.role}', '{e3.action}', "
        f"'{e3.target}', {e3.order_id}, '{e3.detail_json}', '{e3.prev_hash}', '{e3.hash}')",
    )
    report = await verify_store(store)
    assert (4, "broken_link") in {(p.seq, p.kind) for p in report.problems}
    assert (4, "edited") in {(p.seq, p.kind) for p in report.problems}  # its seq moved


def test_verify_entries_without_a_database() -> None:
    """The checker is a pure function of the entries: built by hand, then one edited."""
    from dataclasses import replace

    from bridge.store.base import AuditEntry

    entries, prev = [], GENESIS_HASH
    for seq in (1, 2, 3):
        detail = canonical_json({"n": seq})
        h = audit_hash(seq, float(seq), "a", "operator", "x", "t", None, detail, prev)
        entries.append(
            AuditEntry(seq, float(seq), "a", "operator", "x", "t", None, detail, prev, h)
        )
        prev = h
    assert verify_entries([]).ok and verify_entries(entries).ok
    edited = [entries[0], replace(entries[1], target="other"), entries[2]]
    assert [(p.seq, p.kind) for p in verify_entries(edited).problems] == [(2, "edited")]
    rehashed = replace(edited[1], hash=edited[1].expected_hash())  # forger recomputes entry 2
    report = verify_entries([entries[0], rehashed, entries[2]])
    assert [(p.seq, p.kind) for p in report.problems] == [(3, "broken_link")]


@pytest.mark.parametrize("store_dsn", ["postgres"], indirect=True)  # a PostgreSQL trigger
async def test_postgres_refuses_update_and_delete(store: Store, store_dsn: str) -> None:
    await _chain(store, 1)
    base, _, query = store_dsn.partition("?")
    schema = dict(p.split("=", 1) for p in query.split("&"))["schema"]
    conn = await asyncpg.connect(base)
    try:
        await conn.execute(f'SET search_path TO "{schema}"')
        for statement in ("UPDATE ops_audit SET actor = 'x'", "DELETE FROM ops_audit"):
            with pytest.raises(asyncpg.RaiseError, match="append-only"):
                await conn.execute(statement)
    finally:
        await conn.close()
    assert (await verify_store(store)).ok


async def test_cli_audit_verify_exit_codes(store: Store, store_dsn: str) -> None:
    await _chain(store, 3)

    def verify() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "sapchaos.cli",
                "bridge",
                "audit",
                "verify",
                "--store",
                store_dsn,
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )

    ok = await asyncio.to_thread(verify)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["entries"] == 3
    await _tamper(store_dsn, "UPDATE ops_audit SET detail = $1 WHERE seq = $2", "{}", 2)
    broken = await asyncio.to_thread(verify)
    assert broken.returncode == 1
    out = json.loads(broken.stdout)
    assert not out["ok"] and out["problems"][0]["seq"] == 2
