"""Benchmark: fakesap memory per document (issue 18: ≤ 150 MB at 100k documents).

Builds a ``fakesap.backend.FakeSap`` in this process (uniqueness guard ``U_IdemKey``, as
``sapchaos bench`` runs it), creates N bridge-like Orders through the backend's own create
path (``create_document_now`` with a ground-truth request carrying the raw body bytes, as
``POST /b1s/v1/Orders`` passes it) and prints bytes per document, measured twice:

* tracemalloc: bytes still allocated after the creates, divided by N, and the top
  allocation sites (file:line) that hold them;
* RSS delta of this process (a second, untraced run: tracemalloc's own bookkeeping would
  inflate it).

It also times two reads at the final size, as CPU time per call (the machine is shared):
a uniqueness-guard style ``$filter=U_IdemKey eq '…'`` query and a
``$top=20&$orderby=DocEntry desc`` list, both through ``fakesap.odata``.

    .venv/bin/python load/bench_fakesap_memory.py [--docs 5000 20000] [--top 12]
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path
from typing import Any

from fakesap.backend import FakeSap, FakeSapConfig
from fakesap.odata.options import parse_query
from fakesap.odata.paging import apply_query
from load.bench_fakesap import order_body

TARGET_BYTES_PER_DOC = 150 * 1024 * 1024 / 100_000  # 150 MB at 100k documents


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def new_state() -> FakeSap:
    return FakeSap(FakeSapConfig(uniqueness_guard_udf="U_IdemKey", journal_size=10_000))


def bridge_order(key: str, i: int) -> dict[str, Any]:
    """``load.bench_fakesap.order_body`` with what varies between real shop orders: the
    order number and the quantities (and so the line totals) of the catalog's items."""
    body: dict[str, Any] = order_body(key)
    body["NumAtCard"] = f"WEB-{100000 + i}"
    lines: list[dict[str, Any]] = body["DocumentLines"]
    for n, line in enumerate(lines):
        qty = 1 + (i + n) % 5
        unit = Decimal(str(line["LineTotal"])) / line["Quantity"]
        line["LineTotal"] = float((unit * qty).quantize(Decimal("0.01")))
        line["Quantity"] = qty
    return body


def create_orders(state: FakeSap, n: int, prefix: str = "woo") -> None:
    """N creates as the HTTP handler makes them: the raw body bytes go to the ground truth."""
    for i in range(n):
        raw = json.dumps(bridge_order(f"{prefix}-{i:08d}", i)).encode()
        state.create_document_now(
            "Orders",
            json.loads(raw),
            request={"method": "POST", "path": "/b1s/v1/Orders", "body": raw, "id": f"r{i}"},
        )


def traced(n: int, top: int) -> float:
    state = new_state()
    create_orders(state, 50, "warm")  # warm caches (contexts, memos) outside the measurement
    gc.collect()
    tracemalloc.start(1)
    before = tracemalloc.take_snapshot()
    create_orders(state, n)
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    stats = after.compare_to(before, "lineno")
    total = sum(s.size_diff for s in stats)
    per_doc = total / n
    print(f"  tracemalloc: {total / 1e6:8.1f} MB for {n} docs = {per_doc:7.0f} B/doc")
    for s in stats[:top]:
        frame = s.traceback[0]
        name = "/".join(Path(frame.filename).parts[-2:])
        print(f"    {s.size_diff / n:7.0f} B/doc  {name}:{frame.lineno}")
    del state
    return per_doc


def untraced(n: int) -> tuple[float, FakeSap]:
    """RSS growth over N creates (run it in a fresh process: freed memory is reused)."""
    gc.collect()
    state = new_state()
    create_orders(state, 50, "warm")
    gc.collect()
    before = rss_bytes()
    create_orders(state, n)
    gc.collect()
    per_doc = (rss_bytes() - before) / n
    print(f"  RSS delta:   {per_doc * n / 1e6:8.1f} MB for {n} docs = {per_doc:7.0f} B/doc")
    print(
        f"  ratio to target (RSS): {per_doc / TARGET_BYTES_PER_DOC:.2f}x; "
        f"100k docs ≈ {per_doc * 1e5 / 1e6:.0f} MB"
    )
    return per_doc, state


def cpu_per_call(fn: Any, repeat: int) -> float:
    fn()
    start = time.process_time()
    for _ in range(repeat):
        fn()
    return (time.process_time() - start) / repeat


def reads(state: FakeSap) -> None:
    n = len(state.docs["Orders"])
    key = f"woo-{n // 2:08d}"
    guard_q = parse_query({"$filter": f"U_IdemKey eq '{key}'"}, "v1", 20)
    list_q = parse_query({"$top": "20", "$orderby": "DocEntry desc"}, "v1", 20)

    def guard_get() -> None:
        assert apply_query(state.list_entities("Orders"), guard_q, 20).total == 1

    def top_list() -> None:
        assert len(apply_query(state.list_entities("Orders"), list_q, 20).rows) == 20

    g = cpu_per_call(guard_get, 20)
    t = cpu_per_call(top_list, 20)
    print(f"  $filter=U_IdemKey eq '…':          {g * 1e3:7.2f} ms CPU/call at {n} docs")
    print(f"  $top=20&$orderby=DocEntry desc:    {t * 1e3:7.2f} ms CPU/call at {n} docs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--rss-only", type=int, help=argparse.SUPPRESS)  # the child run
    args = parser.parse_args()
    if args.rss_only:
        _, state = untraced(args.rss_only)
        reads(state)
        return
    print(f"target: {TARGET_BYTES_PER_DOC:.0f} B/doc (150 MB at 100k documents)")
    for n in args.docs:
        print(f"N = {n}")
        per_doc = traced(n, args.top)
        print(f"  ratio to target (tracemalloc): {per_doc / TARGET_BYTES_PER_DOC:.2f}x")
        sys.stdout.flush()
        subprocess.run([sys.executable, __file__, "--rss-only", str(n)], check=True)


if __name__ == "__main__":
    main()
