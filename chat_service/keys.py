"""Every application key, typed (aiohttp web.AppKey)."""

from __future__ import annotations

from aiohttp import web

from chat_service.auth import Identity, TokenService
from chat_service.fanout import FanOut, Registry
from chat_service.jobs import LeasedJob
from chat_service.metrics import Metrics
from chat_service.net.rates import Rates
from chat_service.scanning import Scanner
from chat_service.services import Services
from chat_service.settings import Settings
from chat_service.storage import Store

SETTINGS = web.AppKey("settings", Settings)
TOKENS = web.AppKey("tokens", TokenService)
METRICS = web.AppKey("metrics", Metrics)
STORE = web.AppKey("store", Store)
SCANNER = web.AppKey("scanner", Scanner)
REGISTRY = web.AppKey("registry", Registry)
FANOUT = web.AppKey("fanout", FanOut)
SERVICES = web.AppKey("services", Services)
RATES = web.AppKey("rates", Rates)  # shared rate-limit buckets (net/rates.py)
METRICS_URL = web.AppKey("metrics_url", str)  # the operators' listener, once it listens
# The periodic jobs this instance takes turns at, each under its lease (jobs.py).
JOBS = web.AppKey[list[LeasedJob]]("jobs")
# The bearer token's identity, once a middleware has verified it (http/middleware.py):
# `authenticate` then does not verify the same token again.
IDENTITY = web.RequestKey("identity", Identity)
