"""``sapchaos bridge subscribe`` against a real fakeshop: webhooks created once, signed with
the bridge's first secret, and a second run changes nothing."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bridge.config import BridgeConfig, config_from_env
from bridge.runtime import BridgeRuntime
from bridge.shop.client import WooClient
from bridge.shop.webhooks import ensure_webhooks, list_webhooks, parse_topics
from fakeshop.app import create_app
from fakeshop.config import DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET, ShopConfig

from .procs import ROOT
from .stack import wait_until

TOPICS = ["order.created", "order.updated", "order.deleted", "order.restored"]


async def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bridge",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return int(proc.returncode or 0), out.decode(), err.decode()


def cli_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAPCHAOS_BRIDGE_")}
    env.update({f"SAPCHAOS_BRIDGE_{k.upper()}": v for k, v in settings.items()})
    return env


async def test_subscribe_creates_webhooks_once_and_the_shop_delivers(
    sqlite_dsn: str, tmp_path: Path
) -> None:
    async with TestServer(create_app(ShopConfig(seed=3))) as shop:
        shop_url = str(shop.make_url("")).rstrip("/")
        cfg = BridgeConfig(
            store_dsn=sqlite_dsn,
            shop_base_url=shop_url,
            shop_consumer_key=DEFAULT_CONSUMER_KEY,
            shop_consumer_secret=DEFAULT_CONSUMER_SECRET,
            webhook_secrets=("current-secret", "previous-secret"),
            port=0,
            roles=("ingress",),
            reconcile_interval_s=0,
        )
        async with BridgeRuntime(cfg) as rt:
            delivery = f"{rt.url}/webhooks/woocommerce"
            env = cli_env(
                shop_consumer_key=DEFAULT_CONSUMER_KEY,
                shop_consumer_secret=DEFAULT_CONSUMER_SECRET,
                webhook_secrets="current-secret,previous-secret",
                webhook_delivery_url=delivery,
            )
            code, out, err = await run_cli("subscribe", "--shop-url", shop_url, "--json", env=env)
            assert code == 0, err
            first = json.loads(out)
            assert first["delivery_url"] == delivery
            assert [(w["topic"], w["action"], w["status"]) for w in first["webhooks"]] == [
                (t, "created", "active") for t in TOPICS
            ]

            # the second run (settings from a TOML file this time) changes nothing
            toml = tmp_path / "bridge.toml"
            toml.write_text(
                "[bridge]\n"
                f'shop_base_url = "{shop_url}"\n'
                f'shop_consumer_key = "{DEFAULT_CONSUMER_KEY}"\n'
                f'shop_consumer_secret = "{DEFAULT_CONSUMER_SECRET}"\n'
                'webhook_secrets = ["current-secret"]\n'
                f'webhook_delivery_url = "{delivery}"\n'
            )
            code, out, err = await run_cli(
                "subscribe", "--config", str(toml), "--json", env=cli_env()
            )
            assert code == 0, err
            second = json.loads(out)
            assert [(w["topic"], w["action"]) for w in second["webhooks"]] == [
                (t, "unchanged") for t in TOPICS
            ]
            assert [w["id"] for w in second["webhooks"]] == [w["id"] for w in first["webhooks"]]
            async with WooClient(shop_url, DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET) as woo:
                hooks = await list_webhooks(woo)
            assert sorted(h["topic"] for h in hooks) == sorted(TOPICS)
            assert {h["delivery_url"] for h in hooks} == {delivery}

            # the shop signs with the first secret: the ingress accepts the order
            async with (
                aiohttp.ClientSession() as http,
                http.post(str(shop.make_url("/__admin/orders/generate")), json={"count": 2}) as r,
            ):
                assert r.status == 201
                ids = (await r.json())["created"]
            assert rt.store is not None

            async def stored() -> bool:
                assert rt.store is not None
                return all([await rt.store.get_snapshot(i) is not None for i in ids])

            assert await wait_until(stored, 20, 0.1)
            assert (await rt.store.counts())["quarantine"] == 0


async def test_paused_webhook_is_reactivated_and_human_output(tmp_path: Path) -> None:
    async with (
        TestServer(create_app(ShopConfig(seed=4))) as shop,
        WooClient(
            str(shop.make_url("")).rstrip("/"), DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET
        ) as woo,
    ):
        url = "http://127.0.0.1:9/webhooks/woocommerce"
        paused = await woo.request(
            "POST",
            "webhooks",
            {"name": "old", "topic": "order.created", "delivery_url": url, "status": "paused"},
        )
        other = await woo.request(  # same topic, another URL: not ours, left alone
            "POST",
            "webhooks",
            {
                "name": "erp",
                "topic": "order.created",
                "delivery_url": "http://127.0.0.1:9/erp",
                "status": "paused",
            },
        )
        actions = await ensure_webhooks(woo, url, "s3cret", ("order.created", "order.updated"))
        assert [(a.topic, a.action, a.status) for a in actions] == [
            ("order.created", "updated", "active"),
            ("order.updated", "created", "active"),
        ]
        assert actions[0].id == paused["id"]
        again = await ensure_webhooks(woo, url, "s3cret", ("order.created", "order.updated"))
        assert [a.action for a in again] == ["unchanged", "unchanged"]
        forced = await ensure_webhooks(woo, url, "new", ("order.created",), force=True)
        assert [a.action for a in forced] == ["updated"]
        untouched = await woo.request("GET", f"webhooks/{other['id']}")
        assert untouched["status"] == "paused"

        env = cli_env(
            shop_consumer_key=DEFAULT_CONSUMER_KEY,
            shop_consumer_secret=DEFAULT_CONSUMER_SECRET,
            webhook_delivery_url=url,
        )
        shop_url = str(shop.make_url("")).rstrip("/")
        code, out, err = await run_cli(
            "subscribe", "--shop-url", shop_url, "--topics", "order.updated", env=env
        )
        assert code == 0, err
        assert f"→ {url}" in out and "order.updated  unchanged" in out
        code, _out, err = await run_cli(
            "subscribe", "--shop-url", shop_url, "--topics", "order.shipped", env=env
        )
        assert code == 2 and "invalid webhook topic(s) order.shipped" in err
        # a wrong consumer key: the shop's own error, not a traceback
        bad = {**env, "SAPCHAOS_BRIDGE_SHOP_CONSUMER_KEY": "ck_wrong"}
        code, _out, err = await run_cli("subscribe", "--shop-url", shop_url, env=bad)
        assert code == 1 and "refused: 401" in err and "Traceback" not in err


def test_topics_and_default_delivery_url() -> None:
    assert parse_topics(" order.created,order.updated ,order.created") == (
        "order.created",
        "order.updated",
    )
    with pytest.raises(ValueError, match=r"order\.paid"):
        parse_topics("order.created,order.paid")
    assert BridgeConfig().delivery_url() == "http://127.0.0.1:8090/webhooks/woocommerce"
    assert (
        BridgeConfig(host="0.0.0.0", port=9000).delivery_url()
        == "http://127.0.0.1:9000/webhooks/woocommerce"
    )
    cfg = config_from_env(
        {
            "SAPCHAOS_BRIDGE_WEBHOOK_DELIVERY_URL": "http://toxiproxy:9001/webhooks/woocommerce",
            "SAPCHAOS_BRIDGE_MQTT_SHARED_GROUP": "bridges",
            "SAPCHAOS_BRIDGE_MQTT_CLEAN_SESSION": "true",
            "SAPCHAOS_BRIDGE_MQTT_QOS": "0",
            "SAPCHAOS_BRIDGE_ROLES": "worker,subscriber",
        }
    )
    assert cfg.delivery_url() == "http://toxiproxy:9001/webhooks/woocommerce"
    assert cfg.mqtt_shared_group == "bridges" and cfg.mqtt_clean_session is True
    assert cfg.mqtt_qos == 0 and cfg.roles == ("worker", "subscriber")
