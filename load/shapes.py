"""Load shapes for ``sapchaos load`` (``--shape NAME``), one small function per shape in
``SHAPES``; :class:`SapchaosShape` runs the chosen one, then a drain phase.

Every shape reads Locust's common options (``--users``, ``--spawn-rate``, ``--run-time``):

* ``steady`` — ``--users`` for the whole run;
* ``ramp`` — from 1 to ``--users`` over the first 80 % of the run, then hold;
* ``spike`` — a quarter of ``--users``, all of them between 40 % and 60 % of the run;
* ``partition`` — steady, and the ``bridge_to_sap`` link is cut through the Toxiproxy API
  (``POST /proxies/bridge_to_sap {"enabled": false}``) at ``--cut-at`` × run time and healed
  at ``--heal-at`` × run time, as a network partition between the bridge and SAP would;
* ``partition-ingress`` — the same on ``shop_to_bridge``: the shop cannot deliver webhooks
  (WooCommerce records the failed deliveries and retries).

After ``--run-time`` the users stop and the shape waits (at most ``--drain-max`` seconds)
until every order the run created has its ``TTA`` row — acknowledged or failed — so the
figures include the drain after a heal. The shape runs on the master only; workers learn
the phase of each order from the link's state (see ``load/tta.py``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from locust import LoadTestShape

from load.options import LoadOptions
from load.timeline import PARTITION_LINKS, SHAPES
from load.wire import Http

log = logging.getLogger("sapchaos.load.shapes")


@dataclass
class Partition:
    """Cuts one proxied link and heals it, once, logging both moments."""

    proxy: Http
    link: str
    cut_done: bool = False
    healed: bool = False

    def set_enabled(self, enabled: bool) -> None:
        reply = self.proxy.request("POST", f"/proxies/{self.link}", {"enabled": enabled})
        if reply.status != 200:
            raise RuntimeError(
                f"Toxiproxy {self.link} enabled={enabled}: {reply.status} {reply.body[:200]!r}"
            )
        log.info(
            "link %s %s at %s", self.link, "healed" if enabled else "cut", time.strftime("%H:%M:%S")
        )
        print(f"sapchaos: link {self.link} {'healed' if enabled else 'cut'}", flush=True)

    def step(self, t: float, cut_s: float, heal_s: float) -> None:
        if not self.cut_done and t >= cut_s:
            self.set_enabled(False)
            self.cut_done = True
        if self.cut_done and not self.healed and t >= heal_s:
            self.set_enabled(True)
            self.healed = True


class SapchaosShape(LoadTestShape):
    use_common_options = True

    def __init__(self) -> None:
        super().__init__()
        self.partition: Partition | None = None
        self.drain_started: float | None = None

    def _opts(self) -> LoadOptions:
        return LoadOptions.from_parsed(
            self.runner.environment.parsed_options if self.runner else None
        )

    def tick(self) -> tuple[int, float] | None:
        assert self.runner is not None
        parsed = self.runner.environment.parsed_options
        opts = self._opts()
        users = int(getattr(parsed, "num_users", None) or 10)
        rate = float(getattr(parsed, "spawn_rate", None) or 1)
        run_time = float(getattr(parsed, "run_time", None) or 60)
        fn = SHAPES.get(opts.shape)
        if fn is None:
            raise ValueError(f"--shape {opts.shape!r}: choose one of {', '.join(SHAPES)}")
        t = self.get_run_time()
        link = PARTITION_LINKS.get(opts.shape)
        if link and self.partition is None:
            self.partition = Partition(Http(opts.proxy_url, concurrency=1), link)
        if self.partition is not None:
            self.partition.step(
                t, opts.cut_at * run_time, opts.heal_at * run_time if t < run_time else 0.0
            )
        if t < run_time:
            return fn(users, rate, run_time, t)
        return self._drain(t, run_time, opts, rate)

    def _drain(
        self, t: float, run_time: float, opts: LoadOptions, rate: float
    ) -> tuple[int, float] | None:
        assert self.runner is not None
        if self.drain_started is None:
            self.drain_started = t
            print("sapchaos: load done, waiting for the acknowledgements", flush=True)
        stats = self.runner.stats
        created = stats.entries.get(("create order", "POST"))
        expected = created.num_requests - created.num_failures if created else 0
        judged = sum(
            e.num_requests for (_name, method), e in stats.entries.items() if method == "TTA"
        )
        # workers report every few seconds: give the last report time to arrive
        if judged >= expected and t - self.drain_started > 4:
            return None
        if t - run_time > opts.drain_max + 5:
            print(f"sapchaos: drain gave up with {expected - judged} orders unjudged", flush=True)
            return None
        return 0, rate
