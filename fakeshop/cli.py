"""``sapchaos fakeshop serve``: run the fake WooCommerce store (and Magento mode) alone."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from aiohttp import web

from fakeshop.chaos.profiles import PROFILES
from fakeshop.config import DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET, ApiKey, ShopConfig
from sapchaos import argtypes, defaults


def register(sub: Any) -> None:
    p = sub.add_parser("fakeshop", help="fake WooCommerce store with chaotic webhooks")
    fsub = p.add_subparsers(dest="fakeshop_command", metavar="COMMAND")
    p.set_defaults(func=lambda _a: (p.print_help(), 2)[1])
    s = fsub.add_parser("serve", help="serve the WooCommerce REST API v3 and deliver webhooks")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument(
        "--port",
        type=argtypes.port,
        default=defaults.SHOP_PORT,
        help=f"TCP port (default {defaults.SHOP_PORT})",
    )
    s.add_argument("--https", action="store_true", help="serve TLS (self-signed unless --cert)")
    s.add_argument("--cert", type=Path, help="PEM certificate for --https")
    s.add_argument("--key", type=Path, help="PEM private key for --https")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--chaos", default="calm", choices=sorted(PROFILES), help="delivery profile")
    s.add_argument(
        "--catalog", type=argtypes.input_file, help="catalog JSON (default: the packaged one)"
    )
    s.add_argument("--consumer-key", default=DEFAULT_CONSUMER_KEY)
    s.add_argument("--consumer-secret", default=DEFAULT_CONSUMER_SECRET)
    s.add_argument(
        "--home-url", help="site URL for X-WC-Webhook-Source and OAuth (default: request host)"
    )
    s.add_argument("--utc-offset", type=int, default=1, help="store timezone, hours east of UTC")
    s.add_argument(
        "--trust-forwarded-proto", action="store_true", help="treat X-Forwarded-Proto: https as TLS"
    )
    s.add_argument(
        "--strict-ping", action="store_true", help="refuse a webhook whose ping is not answered 200"
    )
    s.add_argument(
        "--magento", action="store_true", help="also serve /rest/V1 and publish MQTT events"
    )
    s.add_argument("--mqtt-url", default="mqtt://127.0.0.1:1883")
    s.add_argument("--mqtt-topic-prefix", default="shop/v1/magento/events")
    s.add_argument("--magento-token", default="fakeshop-magento-integration-token")
    s.add_argument("--outbox", type=Path, help="SQLite file for the Magento event outbox")
    s.add_argument(
        "--loop",
        choices=("auto", "uvloop", "asyncio"),
        default="auto",
        help="event loop: uvloop when installed (auto, the default), or the stdlib loop",
    )
    s.set_defaults(func=serve)


def new_event_loop(choice: str) -> asyncio.AbstractEventLoop:
    """uvloop's loop for ``auto`` (when installed) and ``uvloop``, else the stdlib loop (as
    ``fakesap serve`` and ``bridge serve`` choose). Raises ImportError when ``uvloop`` is
    asked for and not installed."""
    if choice != "asyncio":
        try:
            import uvloop
        except ImportError:
            if choice == "uvloop":
                raise
        else:
            loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
            return loop
    return asyncio.new_event_loop()


def config_from_args(args: argparse.Namespace) -> ShopConfig:
    return ShopConfig(
        api_keys=(ApiKey(args.consumer_key, args.consumer_secret),),
        home_url=args.home_url,
        utc_offset_hours=args.utc_offset,
        seed=args.seed,
        catalog_path=args.catalog,
        chaos_profile=args.chaos,
        trust_forwarded_proto=args.trust_forwarded_proto,
        strict_ping=args.strict_ping,
        https=args.https,
        cert_file=args.cert,
        key_file=args.key,
        magento=args.magento,
        magento_token=args.magento_token,
        mqtt_url=args.mqtt_url,
        mqtt_topic_prefix=args.mqtt_topic_prefix,
        outbox_path=args.outbox,
    )


def serve(args: argparse.Namespace) -> int:
    from fakeshop.app import create_app
    from fakeshop.https import self_signed, server_context

    config = config_from_args(args)
    try:
        loop = new_event_loop(getattr(args, "loop", "auto"))
    except ImportError:
        print("fakeshop: --loop uvloop: uvloop is not installed (sapchaos[fast])", file=sys.stderr)
        return 2
    ssl_ctx = None
    if config.https:
        cert, key = (config.cert_file, config.key_file)
        if cert is None or key is None:
            cert, key = self_signed()
        ssl_ctx = server_context(cert, key)
    app = create_app(config)  # loads the catalog: a bad one fails before the banner
    scheme = "https" if ssl_ctx else "http"
    base = f"{scheme}://{args.host}:{args.port}"
    auth = "HTTP Basic" if ssl_ctx else "OAuth 1.0a (one-legged, query string)"
    print(
        f"fakeshop (WooCommerce REST v3) on {base}/wp-json/wc/v3  [seed {config.seed}, chaos {config.chaos_profile}]"
    )
    print(f"  consumer key:    {args.consumer_key}")
    print(f"  consumer secret: {args.consumer_secret}   (clients authenticate with {auth})")
    print(
        f"  webhooks: POST {base}/wp-json/wc/v3/webhooks "
        '{"topic": "order.created", "delivery_url": "'
        + defaults.bridge_webhook_url()
        + '", "secret": "..."}'
    )
    print(
        f"  ground truth: {base}/__admin/orders | /__admin/deliveries | /__admin/received | /__admin/chaos"
    )
    if config.magento:
        print(
            f"  magento: {base}/rest/V1/orders (Bearer {config.magento_token}); "
            f"events on {config.mqtt_url} {config.mqtt_topic_prefix}/<event_type>"
        )
    try:
        web.run_app(app, host=args.host, port=args.port, ssl_context=ssl_ctx, print=None, loop=loop)
    except (KeyboardInterrupt, asyncio.CancelledError):
        return 130
    return 0
