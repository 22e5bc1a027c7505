"""Typed keys the app, its middlewares and its handlers share."""

from __future__ import annotations

from aiohttp import web

from fakesap.backend import FakeSap

#: the emulator state of one app
FAKESAP_KEY = web.AppKey("fakesap.state", FakeSap)
#: the journal id of the request being handled (``request.id`` in the ground truth)
REQUEST_ID_KEY = web.RequestKey("fakesap.request_id", str)
