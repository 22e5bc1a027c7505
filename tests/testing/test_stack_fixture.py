"""``sapchaos_stack``: the reference bridge, an aiohttp application and a command as the
bridge under test; verdicts that explain themselves; process and network faults."""

from __future__ import annotations

import pytest
from aiohttp import web

from sapchaos.testing import BRIDGE_ENV, Bridge, BridgeEnv, Stack
from scenarios.bridge_process import REFERENCE_BRIDGE_CMD


def test_reference_bridge_books_and_acknowledges(sapchaos_stack: Stack) -> None:
    ids = sapchaos_stack.create_orders(4)
    assert sapchaos_stack.wait_quiescent(timeout=60)
    verdict = sapchaos_stack.verdict()
    verdict.assert_passed()
    assert verdict.passed and "passed" in verdict.message()
    assert set(sapchaos_stack.fakeshop.acknowledged()) == set(ids)
    for oid in ids:
        assert len(sapchaos_stack.fakesap.orders(order_id=oid)) == 1


def test_env_points_through_the_proxy(sapchaos_stack: Stack) -> None:
    env = sapchaos_stack.env
    links = sapchaos_stack.proxy.links
    assert env.sap_url == f"http://{links['bridge_to_sap']}/b1s/v1"
    assert env.shop_url == f"http://{links['bridge_to_shop']}"
    assert env.bridge_url.startswith(f"http://{links['shop_to_bridge']}/")
    hooks = sapchaos_stack.fakeshop.rest("GET", "webhooks")
    assert {h["delivery_url"] for h in hooks} == {env.bridge_url}


def test_partition_then_heal(sapchaos_stack: Stack) -> None:
    with sapchaos_stack.proxy.cut("bridge_to_sap"):
        sapchaos_stack.create_orders(3)
        assert sapchaos_stack.fakeshop.drain(timeout_s=30)
        assert sapchaos_stack.fakesap.orders() == []
    assert sapchaos_stack.wait_quiescent(timeout=90)
    sapchaos_stack.verdict().assert_passed()


class TestAnApplicationThatLosesOrders:
    """An aiohttp app that answers 200 and books nothing: the verdict names the orders."""

    @pytest.fixture
    def sapchaos_bridge(self) -> Bridge:
        seen: list[BridgeEnv] = []

        async def hook(request: web.Request) -> web.Response:
            seen.append(request.app[BRIDGE_ENV])
            return web.json_response({"ok": True})

        def factory(env: BridgeEnv) -> web.Application:
            app = web.Application()
            app.router.add_post("/hooks/wc", hook)
            return app

        return Bridge(factory, webhook_path="/hooks/wc", topics=("order.created",))

    def test_verdict_lists_each_failed_invariant_and_order(self, sapchaos_stack: Stack) -> None:
        ids = sapchaos_stack.create_orders(2)
        assert not sapchaos_stack.wait_quiescent(timeout=20, quiet_s=1)
        verdict = sapchaos_stack.verdict()
        assert not verdict.passed
        with pytest.raises(AssertionError) as failure:
            verdict.assert_passed()
        message = str(failure.value)
        assert message.startswith("sapchaos verdict: FAILED")
        assert f"no_lost_order: shop orders {ids[0]}, {ids[1]}" in message
        assert f"order {ids[0]}:" in message
        assert verdict.invariant("no_lost_order").violations


class TestACommandBridge:
    """The reference bridge as a child process: killed with -9 and started again."""

    @pytest.fixture
    def sapchaos_bridge(self) -> str:
        # short leases: a claim held by the killed process is taken over within seconds
        return (
            "SAPCHAOS_BRIDGE_LEASE_S=4 SAPCHAOS_BRIDGE_SAP_TOTAL_TIMEOUT_S=2 "
            + REFERENCE_BRIDGE_CMD
        )

    def test_kill_and_restart_lose_nothing(self, sapchaos_stack: Stack) -> None:
        sapchaos_stack.create_orders(3)
        assert sapchaos_stack.fakeshop.drain(timeout_s=30)
        sapchaos_stack.kill_bridge()
        sapchaos_stack.start_bridge()
        assert sapchaos_stack.wait_quiescent(timeout=90, quiet_s=10)
        sapchaos_stack.verdict().assert_passed()


class TestAnApplicationInstance:
    @pytest.fixture
    def sapchaos_bridge(self) -> web.Application:
        app = web.Application()

        async def ok(_request: web.Request) -> web.Response:
            return web.Response(text="ok")

        app.router.add_post("/webhooks/woocommerce", ok)
        return app

    def test_an_instance_cannot_restart(self, sapchaos_stack: Stack) -> None:
        with pytest.raises(RuntimeError, match="factory"):
            sapchaos_stack.restart_bridge()


class TestABadCommand:
    """Mistakes in the bridge command are one clear error at set-up, and leave nothing."""

    @pytest.fixture
    def sapchaos_bridge(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.mark.parametrize("sapchaos_bridge", ["serve --port {bridge_prot}"], indirect=True)
    def test_unknown_placeholder(
        self, request: pytest.FixtureRequest, sapchaos_bridge: str
    ) -> None:
        with pytest.raises(ValueError, match=r"unknown placeholder \{bridge_prot\}"):
            request.getfixturevalue("sapchaos_stack")

    @pytest.mark.parametrize(
        "sapchaos_bridge", ["echo 'cannot reach {sap_url}' >&2; exit 3"], indirect=True
    )
    def test_a_bridge_that_exits_shows_its_log(
        self, request: pytest.FixtureRequest, sapchaos_bridge: str
    ) -> None:
        from scenarios.bridge_process import BridgeProcessError

        with pytest.raises(BridgeProcessError, match="exited with code 3") as err:
            request.getfixturevalue("sapchaos_stack")
        assert "cannot reach http://" in str(err.value)


def test_a_wrong_bridge_type_is_named() -> None:
    from sapchaos.testing.bridges import as_bridge

    with pytest.raises(TypeError, match="sapchaos_bridge must return"):
        as_bridge(42)  # type: ignore[arg-type]
