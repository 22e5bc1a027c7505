"""``sapchaos oracle judge``: judge any running stack from the emulators' ground truth alone.

Point it at a fakeshop and a fakesap (started by ``sapchaos up``, docker-compose, or your
own rig), after your bridge has done its work; it reads their ``/__admin`` histories, runs
the same oracle as ``scenario run`` under the given contract, prints the summary and
exits 0 (pass), 1 (fail) or 2 (usage error, or the emulators could not be read).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sapchaos.argtypes import input_file, output_file, positive_float
from sapchaos.errors import UsageError

#: the env file ``sapchaos up --env-file`` writes names the emulators' direct roots so
SHOP_ADMIN_ENV = "SAPCHAOS_SHOP_ADMIN_URL"
SAP_ADMIN_ENV = "SAPCHAOS_SAP_ADMIN_URL"


def register(sub: Any) -> None:
    oracle = sub.add_parser("oracle", help="judge a running stack from ground truth")
    osub = oracle.add_subparsers(dest="oracle_command", metavar="ACTION")
    j = osub.add_parser(
        "judge",
        help="read fakeshop's and fakesap's /__admin ground truth and print the verdict",
        description="Judge whatever bridge ran against these emulators, from what they "
        "recorded: every order, every SAP document, every note written back. Exit 0 when "
        "every invariant holds, 1 when one does not, 2 on a usage error or when the "
        "emulators cannot be read.",
    )
    j.add_argument(
        "--shop",
        default=os.environ.get(SHOP_ADMIN_ENV),
        help=f"fakeshop's root URL, reached directly (not through a proxy) [env {SHOP_ADMIN_ENV}]",
    )
    j.add_argument(
        "--sap",
        default=os.environ.get(SAP_ADMIN_ENV),
        help=f"fakesap's root URL (or its /b1s/v1 service root), reached directly [env {SAP_ADMIN_ENV}]",
    )
    j.add_argument(
        "--since",
        default=None,
        help="judge only orders created at or after this time: ISO 8601 "
        "(2026-12-05T20:00:00Z), Unix seconds, or a duration before now (90s, 15m, 2h)",
    )
    j.add_argument(
        "--contract",
        type=input_file,
        default=None,
        help="a TOML or JSON file with the contract keys (key_field, key_pattern, "
        "ack_note_regex, ack_meta_key, sync_when, document_type, …); default: the "
        "reference bridge's",
    )
    j.add_argument("--report", type=output_file, default=None, help="write report.json here")
    j.add_argument("--junit", type=output_file, default=None, help="write JUnit XML here")
    j.add_argument("--html", type=output_file, default=None, help="write the HTML report here")
    j.add_argument(
        "--timeout", type=positive_float, default=60.0, help="seconds to wait for the emulators"
    )
    j.set_defaults(func=_judge_cmd)
    oracle.set_defaults(func=lambda _a: (oracle.print_help(), 2)[1])


def _load_contract(path: Path | None) -> Any:
    from scenarios.oracle.contract import Contract, ContractError

    if path is None:
        return Contract()
    try:
        return Contract.from_file(str(path))
    except (ContractError, OSError, TypeError) as exc:
        raise UsageError(f"--contract {path}: {exc}") from None


def _judge(histories: Any, contract: Any) -> Any:
    from scenarios.oracle import judge

    if "contract" in inspect.signature(judge).parameters:
        return judge(histories, contract=contract)
    return judge(histories)


def judge_stack(
    shop: str,
    sap: str,
    *,
    since: datetime | None,
    contract: Any,
    timeout_s: float = 60.0,
) -> dict[str, Any]:
    """Fetch, judge and build the report dict (format 1) for a running stack."""
    from scenarios.oracle.fetch import fetch_histories
    from scenarios.report import build_report
    from scenarios.report_fields import order_ids
    from scenarios.truth_timeline import order_histories, samples, start_of, tta_series

    started = datetime.now(UTC)
    t0 = time.monotonic()
    histories = asyncio.run(fetch_histories(shop, sap, since=since, timeout_s=timeout_s))
    verdict = _judge(histories, contract)
    report = build_report(
        scenario="oracle-judge",
        seed=0,
        verdict=verdict,
        faults=[],
        started_at=started,
        duration_s=time.monotonic() - t0,
    )
    named = order_ids(v for r in verdict.invariants for v in r.violations)
    zero = start_of(histories)
    report.update(
        {
            "seed": None,  # nothing random happened here: the run being judged was not ours
            "contract": contract.to_json(),
            "bridge_cmd": None,
            "replay_command": " ".join(
                ["sapchaos oracle judge", f"--shop {shop}", f"--sap {sap}"]
                + ([f"--since {since.isoformat()}"] if since else [])
            ),
            "judged": {"shop": shop, "sap": sap, "since": since.isoformat() if since else None},
            "samples": samples(histories, contract, zero),
            "tta_series": tta_series(histories, contract, zero),
            "fault_windows": [],
            "order_histories": order_histories(histories, named, contract),
        }
    )
    return report


def _judge_cmd(args: argparse.Namespace) -> int:
    from scenarios.oracle.fetch import FetchError, admin_root, parse_since
    from scenarios.report import print_summary, write_report

    if not args.shop:
        raise UsageError(f"--shop is required (fakeshop's root URL, or set {SHOP_ADMIN_ENV})")
    if not args.sap:
        raise UsageError(f"--sap is required (fakesap's root URL, or set {SAP_ADMIN_ENV})")
    for opt, url, kind in (("--shop", args.shop, "shop"), ("--sap", args.sap, "sap")):
        try:
            admin_root(url, kind)
        except ValueError as exc:
            raise UsageError(f"{opt}: {exc}") from None
    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as exc:
        raise UsageError(f"--since: {exc}") from None
    contract = _load_contract(args.contract)
    try:
        report = judge_stack(
            args.shop, args.sap, since=since, contract=contract, timeout_s=args.timeout
        )
    except FetchError as exc:
        raise UsageError(str(exc)) from None
    print(f"sapchaos: judged {args.shop} and {args.sap}" + (f" since {since}" if since else ""))
    print_summary(report, sys.stdout)
    if args.report:
        print(f"  report: {write_report(report, args.report)}")
    if args.junit:
        from scenarios.junit import write_junit

        print(f"  junit: {write_junit([report], args.junit)}")
    if args.html:
        from scenarios.html_report import write_html

        print(f"  html: {write_html([report], args.html)}")
    return 0 if report["verdict"] == "pass" else 1
