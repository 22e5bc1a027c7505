"""Stand-in for ``sapchaos up --env-file`` while that flag is not available: the embedded
stack in this (asyncio) process, its env file in the format of ``sapchaos up`` (interface C),
``ready`` on stdout, a clean stop on SIGTERM/SIGINT.

    python -m scenarios.loadtest_stack ENV_FILE [SEED]
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from sapchaos import defaults
from scenarios.stack import EmbeddedStack, StackSettings


async def serve(env_file: Path, seed: int) -> None:
    settings = StackSettings(seed=seed, topics=("order.created", "order.updated"))
    async with EmbeddedStack(settings) as stack:
        assert stack.bridge is not None and stack.proxy is not None
        port = stack.bridge.url.rsplit(":", 1)[1].split("/")[0]
        values = {
            defaults.ENV["bridge_port"]: port,
            defaults.ENV["bridge_url"]: f"http://{stack.links['shop_to_bridge']}/",
            defaults.ENV["sap_url"]: f"http://{stack.links['bridge_to_sap']}/b1s/v1",
            defaults.ENV["shop_url"]: f"http://{stack.links['bridge_to_shop']}",
            defaults.ENV["webhook_secret"]: settings.webhook_secret,
            "SAPCHAOS_PROXY_URL": stack.proxy.url,
            "SAPCHAOS_SAP_ADMIN_URL": stack.sap_url,
            "SAPCHAOS_SHOP_ADMIN_URL": stack.shop_url,
        }
        text = "".join(f"{k}={v}\n" for k, v in values.items())
        await asyncio.to_thread(env_file.write_text, text, "utf-8")
        print("ready", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    await asyncio.to_thread(env_file.unlink, True)


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m scenarios.loadtest_stack ENV_FILE [SEED]", file=sys.stderr)
        return 2
    asyncio.run(serve(Path(argv[0]), int(argv[1]) if len(argv) > 1 else 42))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
