"""``python -m shopbridge``: serve on $SAPCHAOS_BRIDGE_PORT with settings from the env."""

from __future__ import annotations

import logging

from aiohttp import web

from shopbridge.app import create_app
from shopbridge.settings import Settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = Settings.from_env()
    web.run_app(create_app(settings), host="127.0.0.1", port=settings.port, print=None)


if __name__ == "__main__":
    main()
