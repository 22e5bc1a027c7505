"""Run the official npm WooCommerce client (``@woocommerce/woocommerce-rest-api``) against a
fakeshop from a test. ``tests/js/package.json`` pins it; the first use runs ``npm install``
there (CI needs ``node`` and ``npm`` on PATH and the npm registry reachable, or a
pre-populated ``tests/js/node_modules``)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

JS_DIR = Path(__file__).resolve().parent.parent / "js"
PACKAGE = JS_DIR / "node_modules" / "@woocommerce" / "woocommerce-rest-api" / "package.json"


def ensure_installed() -> None:
    """Skip (visibly) when node is absent; install the client once; fail loudly if npm fails."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        msg = "node/npm not on PATH: the npm WooCommerce client cannot run (apt-get install nodejs npm)"
        if os.environ.get("CI"):
            pytest.fail(msg)  # CI installs them (.ci/run): never skip silently there
        pytest.skip(msg)
    if PACKAGE.exists():
        return
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0 or not PACKAGE.exists():
        pytest.fail(f"npm install in {JS_DIR} failed: {done.stderr.strip()[-2000:]}")


def run_calls(
    url: str, key: str, secret: str, calls: list[dict[str, Any]], **options: Any
) -> list[dict[str, Any]]:
    """Each call is ``{method, path, data?, params?}``; returns ``[{status, headers, data}]``."""
    ensure_installed()
    script = {"url": url, "consumerKey": key, "consumerSecret": secret, "calls": calls, **options}
    done = subprocess.run(
        ["node", str(JS_DIR / "wc_client.mjs")],
        input=json.dumps(script),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"node client failed: {done.stderr.strip()[-2000:]}")
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result


async def js_calls(
    url: str, key: str, secret: str, calls: list[dict[str, Any]], **options: Any
) -> list[dict[str, Any]]:
    """:func:`run_calls` off the event loop (the shop under test serves on the same loop)."""
    return await asyncio.to_thread(run_calls, url, key, secret, calls, **options)
