"""PostgreSQL LISTEN/NOTIFY: a commit in one process's store wakes the idle workers of
another process's store on the same schema — not those of another schema."""

from __future__ import annotations

import asyncio
import os
import uuid

import asyncpg

from bridge.store import open_store
from bridge.store.pg_signal import PgJobSignal, channel_for

PG_DSN = os.environ.get("SAPCHAOS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


async def _drop(schema: str) -> None:
    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


async def test_a_commit_in_one_store_wakes_the_workers_of_another() -> None:
    schema = f"w4_sig_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    other = f"{schema}_x"
    a = await open_store(f"{PG_DSN}?schema={schema}&pool_max=2")
    b = await open_store(f"{PG_DSN}?schema={schema}&pool_max=2")
    c = await open_store(f"{PG_DSN}?schema={other}&pool_max=2")
    try:
        await a.migrate()
        sig_a = a.job_signal  # type: ignore[attr-defined]
        sig_c = c.job_signal  # type: ignore[attr-defined]
        assert isinstance(sig_a, PgJobSignal) and sig_a.channel == channel_for(schema)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        woken_a = asyncio.create_task(sig_a.wait(sig_a.mark(), 30.0))
        woken_c = asyncio.create_task(sig_c.wait(sig_c.mark(), 30.0))
        await asyncio.sleep(0.05)
        await b.request_sync(42)  # another "process" makes a job runnable
        await asyncio.wait_for(woken_a, 10.0)
        assert loop.time() - t0 < 10.0  # woken by the notification, not the 30 s poll
        await asyncio.sleep(0.2)
        assert not woken_c.done()  # another schema's workers were not woken
        woken_c.cancel()
    finally:
        for s in (a, b, c):
            await s.close()
        await _drop(schema)
        await _drop(other)


async def test_own_notifications_are_not_counted_twice() -> None:
    schema = f"w4_sig_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    a = await open_store(f"{PG_DSN}?schema={schema}&pool_max=2")
    try:
        await a.migrate()
        sig = a.job_signal  # type: ignore[attr-defined]
        before = sig.mark()
        await a.request_sync(7)
        after = sig.mark()
        await asyncio.sleep(0.3)  # the echo of our own NOTIFY arrives and is ignored
        assert after == before + 1 and sig.mark() == after
    finally:
        await a.close()
        await _drop(schema)
