"""``sapchaos load``: Locust headless against the embedded stack (or given URLs), then the
oracle over the orders the run created.

This process never imports Locust or gevent (gevent monkey-patches the process it runs in):
the stack runs as ``sapchaos up`` in one subprocess, Locust in another
(``python -m locust -f load/locustfile.py,load/shapes.py …``), and the verdict is computed
here from the emulators' ``/__admin`` ground truth. ``--master``/``--worker`` are Locust's own
distributed mode, unchanged.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sapchaos import defaults

RUN_TIME = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


class UsageError(Exception):
    """A bad option: one line naming it and the cause."""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "load",
        help="run Locust against the stack and judge the orders it created",
        description="Start the embedded stack (sapchaos up) unless --shop-url/--sap-url are "
        "given, run Locust headless with the chosen shape, print time-to-acknowledge and the "
        "oracle's verdict over the run's orders. Exit 0 only if Locust saw no failure and the "
        "verdict passes.",
    )
    p.add_argument("--users", "-u", default="10", help="peak number of users (default 10)")
    p.add_argument("--spawn-rate", "-r", default="5", help="users started per second (default 5)")
    p.add_argument(
        "--run-time", "-t", default="30s", help="load duration, e.g. 30s, 2m, 1h30m (default 30s)"
    )
    p.add_argument(
        "--shape", default="steady", help="steady | ramp | spike | partition | partition-ingress"
    )
    p.add_argument(
        "--traffic", default="shop", help="comma list of shop, webhooks, sap (default shop)"
    )
    p.add_argument(
        "--csv",
        default=None,
        metavar="PREFIX",
        help="Locust CSV files (PREFIX_stats.csv, _stats_history.csv with every row)",
    )
    p.add_argument("--html", default=None, metavar="FILE", help="Locust's HTML report")
    p.add_argument(
        "--shop-url", default=None, help="shop site URL of a running stack (direct, not proxied)"
    )
    p.add_argument(
        "--sap-url", default=None, help="Service Layer root of a running stack (direct), …/b1s/v1"
    )
    p.add_argument("--bridge-url", default=None, help="bridge webhook ingress URL (webhook flood)")
    p.add_argument("--proxy-url", default=None, help="Toxiproxy API URL (partition shapes)")
    p.add_argument(
        "--shop-admin-url",
        default=None,
        help="fakeshop root for /__admin ground truth (default --shop-url)",
    )
    p.add_argument(
        "--sap-admin-url",
        default=None,
        help="fakesap root for /__admin ground truth (default from --sap-url)",
    )
    p.add_argument("--webhook-secret", default=None, help="secret of the flood's signatures")
    p.add_argument(
        "--tta-timeout",
        default="60",
        help="seconds until an unacknowledged order is a failure (default 60)",
    )
    p.add_argument(
        "--settle",
        default="60",
        help="seconds the oracle waits for the stack to settle (default 60)",
    )
    p.add_argument("--seed", default="42", help="seed of the order mix")
    p.add_argument(
        "--master", action="store_true", help="run as Locust master (workers connect with --worker)"
    )
    p.add_argument("--expect-workers", default="1", help="with --master: workers to wait for")
    p.add_argument(
        "--master-bind-port", default="5557", help="with --master: port workers connect to"
    )
    p.add_argument("--worker", action="store_true", help="run as a Locust worker of a master")
    p.add_argument("--master-host", default="127.0.0.1", help="with --worker: the master's host")
    p.add_argument("--master-port", default="5557", help="with --worker: the master's port")
    p.set_defaults(func=main)


# -- options ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    users: int
    spawn_rate: float
    run_time_s: int
    shape: str
    traffic: tuple[str, ...]
    tta_timeout_s: float
    settle_s: float
    seed: int
    expect_workers: int
    master_bind_port: int
    master_port: int


def _int(name: str, raw: str, low: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise UsageError(f"{name} must be an integer (got {raw!r})") from None
    if value < low:
        raise UsageError(f"{name} must be ≥ {low} (got {value})")
    return value


def _positive(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{name} must be a number (got {raw!r})") from None
    if not value > 0 or value == float("inf"):
        raise UsageError(f"{name} must be a positive number (got {raw})")
    return value


def parse_run_time(raw: str) -> int:
    """Locust's ``--run-time`` format: ``90``, ``30s``, ``2m``, ``1h30m``."""
    text = raw.strip()
    if text.isdigit():
        seconds = int(text)
    else:
        m = RUN_TIME.match(text)
        if not m or not any(m.groups()):
            raise UsageError(f"--run-time must look like 30s, 2m or 1h30m (got {raw!r})")
        h, mi, s = (int(g or 0) for g in m.groups())
        seconds = h * 3600 + mi * 60 + s
    if seconds < 1:
        raise UsageError(f"--run-time must be at least 1s (got {raw!r})")
    return seconds


def plan_from(args: argparse.Namespace) -> Plan:
    from load.options import TRAFFIC_FILES
    from load.timeline import SHAPES

    if args.shape not in SHAPES:
        raise UsageError(f"--shape must be one of {', '.join(SHAPES)} (got {args.shape!r})")
    traffic = tuple(t.strip() for t in str(args.traffic).split(",") if t.strip())
    bad = [t for t in traffic if t not in TRAFFIC_FILES]
    if bad or not traffic:
        raise UsageError(
            f"--traffic must name some of {', '.join(TRAFFIC_FILES)} (got {args.traffic!r})"
        )
    if args.master and args.worker:
        raise UsageError("--master and --worker exclude each other")
    for flag, value in (
        ("--shop-url", args.shop_url),
        ("--sap-url", args.sap_url),
        ("--bridge-url", args.bridge_url),
        ("--proxy-url", args.proxy_url),
    ):
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise UsageError(f"{flag} must be an http(s) URL (got {value!r})")
    if (args.shop_url is None) != (args.sap_url is None):
        raise UsageError(
            "--shop-url and --sap-url go together (or give neither to start the embedded stack)"
        )
    return Plan(
        users=_int("--users", args.users, 1),
        spawn_rate=_positive("--spawn-rate", args.spawn_rate),
        run_time_s=parse_run_time(args.run_time),
        shape=args.shape,
        traffic=traffic,
        tta_timeout_s=_positive("--tta-timeout", args.tta_timeout),
        settle_s=_positive("--settle", args.settle),
        seed=_int("--seed", args.seed, 0),
        expect_workers=_int("--expect-workers", args.expect_workers, 1),
        master_bind_port=_int("--master-bind-port", args.master_bind_port, 1),
        master_port=_int("--master-port", args.master_port, 1),
    )


# -- the stack ------------------------------------------------------------------------
def read_env_file(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in path.read_text("utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip().strip("'\"")
    return out


class Stack:
    """``sapchaos up --env-file F`` (free ports) as a child process, until ``ready``."""

    def __init__(self, workdir: Path, seed: int, ready_timeout_s: float = 120.0) -> None:
        self.env_file = workdir / "stack.env"
        self.log_path = workdir / "stack.log"
        self.seed = seed
        self.ready_timeout_s = ready_timeout_s
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        # free ports (no --port-base): nothing to collide with other runs on the machine
        return [sys.executable, "-m", "sapchaos.cli", "up", "--env-file", str(self.env_file),
                "--seed", str(self.seed)]  # fmt: skip

    def start(self) -> dict[str, str]:
        cmd = self.command()
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = self.log_path.read_text("utf-8", "replace").strip().splitlines()[-3:]
                raise RuntimeError(
                    f"sapchaos up exited with {self.proc.returncode}: {' | '.join(tail)}"
                )
            text = self.log_path.read_text("utf-8", "replace")
            if re.search(r"^ready\s*$", text, re.M) and self.env_file.exists():
                return read_env_file(self.env_file)
            time.sleep(0.2)
        raise RuntimeError(
            f"sapchaos up not ready within {self.ready_timeout_s:.0f}s (log: {self.log_path})"
        )

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@dataclass(frozen=True)
class Targets:
    shop_url: str
    sap_url: str
    bridge_url: str
    proxy_url: str
    shop_admin: str
    sap_admin: str
    webhook_secret: str
    extra_env: dict[str, str]


def targets_from_env(env: dict[str, str]) -> Targets:
    """The stack's env file (interface C): emulators read directly, never through the proxy."""
    shop_admin = env["SAPCHAOS_SHOP_ADMIN_URL"].rstrip("/")
    sap_admin = env["SAPCHAOS_SAP_ADMIN_URL"].rstrip("/")
    port = env.get(defaults.ENV["bridge_port"], str(defaults.BRIDGE_PORT))
    return Targets(
        shop_url=shop_admin,
        sap_url=f"{sap_admin}/b1s/v1",
        bridge_url=f"http://{defaults.HOST}:{port}{defaults.WEBHOOK_PATH}",
        proxy_url=env.get("SAPCHAOS_PROXY_URL", ""),
        shop_admin=shop_admin,
        sap_admin=sap_admin,
        webhook_secret=env.get(defaults.ENV["webhook_secret"], defaults.WEBHOOK_SECRET),
        extra_env={k: v for k, v in env.items() if k.startswith("SAPCHAOS_") and k in _PASS_ENV},
    )


#: stack values the locust process reads as option defaults (credentials, card code)
_PASS_ENV = {
    defaults.ENV[n]
    for n in ("sap_company", "sap_user", "sap_password", "card_code", "shop_key", "shop_secret")
}


def targets_from_args(args: argparse.Namespace) -> Targets:
    sap_url = str(args.sap_url).rstrip("/")
    shop_url = str(args.shop_url).rstrip("/")
    return Targets(
        shop_url=shop_url,
        sap_url=sap_url,
        bridge_url=args.bridge_url or defaults.bridge_webhook_url(),
        proxy_url=args.proxy_url or f"http://{defaults.HOST}:{defaults.PROXY_API_PORT}",
        shop_admin=(args.shop_admin_url or shop_url).rstrip("/"),
        sap_admin=(args.sap_admin_url or re.sub(r"/b1s/v\d+$", "", sap_url)).rstrip("/"),
        webhook_secret=args.webhook_secret
        or os.environ.get(defaults.ENV["webhook_secret"], defaults.WEBHOOK_SECRET),
        extra_env={},
    )


# -- locust ---------------------------------------------------------------------------
def load_dir() -> Path:
    import load

    return Path(load.__file__).resolve().parent


def locust_env(extra: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, **extra}
    root = str(load_dir().parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def locustfiles(traffic: tuple[str, ...], with_shape: bool) -> str:
    from load.options import TRAFFIC_FILES

    files = [str(load_dir() / TRAFFIC_FILES[t]) for t in traffic]
    if with_shape:
        files.append(str(load_dir() / "shapes.py"))
    return ",".join(files)


def locust_command(plan: Plan, args: argparse.Namespace, t: Targets, run_id: str) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        locustfiles(plan.traffic, True),
        "--headless",
        "-u",
        str(plan.users),
        "-r",
        str(plan.spawn_rate),
        "-t",
        f"{plan.run_time_s}s",
        "--host",
        t.shop_url,
        "--shape",
        plan.shape,
        "--run-id",
        run_id,
        "--sap-url",
        t.sap_url,
        "--bridge-url",
        t.bridge_url,
        "--proxy-url",
        t.proxy_url,
        "--webhook-secret",
        t.webhook_secret,
        "--tta-timeout",
        f"{plan.tta_timeout_s:g}",
        "--seed",
        str(plan.seed),
        "--only-summary",
        "--stop-timeout",
        "10",  # a stopped customer finishes its checkout: every created order is tracked
        "--loglevel",
        "WARNING",
    ]
    if args.csv:
        cmd += ["--csv", args.csv, "--csv-full-history"]
    if args.html:
        cmd += ["--html", args.html]
    if args.master:
        cmd += [
            "--master",
            "--expect-workers",
            str(plan.expect_workers),
            "--master-bind-port",
            str(plan.master_bind_port),
        ]
    return cmd


def run_worker(plan: Plan, args: argparse.Namespace) -> int:
    cmd = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        locustfiles(plan.traffic, False),
        "--worker",
        "--master-host",
        args.master_host,
        "--master-port",
        str(plan.master_port),
        "--loglevel",
        "WARNING",
    ]
    return subprocess.call(cmd, env=locust_env({}))


# -- the run --------------------------------------------------------------------------
def main(args: argparse.Namespace) -> int:
    try:
        plan = plan_from(args)
    except UsageError as exc:
        print(f"sapchaos load: {exc}", file=sys.stderr)
        return 2
    if importlib.util.find_spec("locust") is None:
        print(
            "sapchaos load: Locust is not installed (pip install 'sapchaos[load]')", file=sys.stderr
        )
        return 2
    if args.worker:
        return run_worker(plan, args)
    with tempfile.TemporaryDirectory(prefix="sapchaos-load-") as tmp:
        stack: Stack | None = None
        try:
            if args.shop_url is None:
                stack = Stack(Path(tmp), plan.seed)
                print("sapchaos load: starting the stack (sapchaos up)…", flush=True)
                targets = targets_from_env(stack.start())
            else:
                targets = targets_from_args(args)
            return _run(plan, args, targets)
        except RuntimeError as exc:
            print(f"sapchaos load: {exc}", file=sys.stderr)
            return 1
        finally:
            if stack is not None:
                stack.stop()


def _run(plan: Plan, args: argparse.Namespace, t: Targets) -> int:
    from scenarios.loadtest_oracle import GroundTruth, RunScope, judge_run, settle, verdict_lines

    run_id = uuid.uuid4().hex[:12]
    print(
        f"sapchaos load: run {run_id}, shape {plan.shape}, {plan.users} users, "
        f"{plan.run_time_s}s, seed {plan.seed}; shop {t.shop_url}, SAP {t.sap_url}",
        flush=True,
    )
    rc = subprocess.call(locust_command(plan, args, t, run_id), env=locust_env(t.extra_env))
    print(f"sapchaos load: locust exited with {rc}", flush=True)
    if "shop" not in plan.traffic:
        return rc
    truth = GroundTruth(t.shop_admin, t.sap_admin)
    try:
        h = settle(
            truth,
            RunScope(run_id),
            plan.settle_s,
            progress=lambda m: print(f"sapchaos load: {m}", flush=True),
        )
    except OSError as exc:
        print(f"sapchaos load: cannot read the ground truth: {exc}", file=sys.stderr)
        return 1
    verdict = judge_run(h)
    for line in verdict_lines(verdict, run_id):
        print(line)
    if not h.shop_orders:
        print("sapchaos load: the run created no orders", file=sys.stderr)
        return 1
    return 0 if verdict.passed and rc == 0 else 1
