"""The composition root: `create_app(settings)` wires the service and does nothing else.

Each resource is a cleanup context, torn down in reverse order and only if it started:
the store (and the embedded child), the detection pool, the services, the loop monitor.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Callable

from aiohttp import WSCloseCode, web

from chat_service import keys
from chat_service.actions.consent import sweep_expired
from chat_service.actions.delivery import MESSAGE, OPENED, message_render, opened_render
from chat_service.auth import TokenService
from chat_service.fanout import InProcessFanOut, Registry
from chat_service.fanout_redis import RedisFanOut
from chat_service.gc_pauses import GcPauses, collection_threshold, frozen_objects
from chat_service.http.attachments import TMP_DIR_NAME
from chat_service.http.cors import cors_middleware
from chat_service.http.metrics import metrics_listener_ctx
from chat_service.http.middleware import customer_writes_middleware, error_middleware
from chat_service.http.routes import setup_routes
from chat_service.jobs import LeasedJob, Turn
from chat_service.metrics import Metrics
from chat_service.net.global_limits import INSTANCE_TTL_SECS, GlobalLimits
from chat_service.net.rates import Rates
from chat_service.privacy.deletion import process_due
from chat_service.privacy.retention import retention_loop, sweep_stale_uploads
from chat_service.privacy.retention.runner import LEASE_NAME as RETENTION_LEASE
from chat_service.privacy.webhooks import WebhookNotifier
from chat_service.resources import ResourceLimits
from chat_service.scanning import PoolScanner, Scanner
from chat_service.services import Services
from chat_service.settings import Settings, is_loopback
from chat_service.storage import open_store
from chat_service.storage.crypto import FieldCipher, load_master_key
from chat_service.storage.leases import new_holder

logger = logging.getLogger(__name__)

LOOP_LAG_INTERVAL_SECS = 0.5
BACKGROUND_STOP_GRACE_SECS = 10.0  # a retention batch or a webhook round finishes well within
# The periodic jobs' lease names (and the `job` label of chat_job_lease_held).
CONSENT_SWEEPER_JOB = "consent-sweeper"
DELETION_JOB = "deletion-requests"
RETENTION_JOB = RETENTION_LEASE


CleanupContext = Callable[[web.Application], AsyncIterator[None]]


def create_app(
    settings: Settings,
    *,
    store_uri: str | None = None,
    scanner: Scanner | None = None,
    host: str | None = None,
) -> web.Application:
    """The aiohttp application. `store_uri`/`scanner` let tests share one store and pool."""
    app = web.Application(
        # CORS outermost: error answers carry its headers too, so the widget can read them.
        middlewares=[cors_middleware, error_middleware, customer_writes_middleware],
        client_max_size=1024 * 1024,
    )
    _install_basics(app, settings, host)
    _install_fanout_and_rates(app, settings)
    app.cleanup_ctx.extend(
        [
            _store_ctx(settings, store_uri),
            _scanner_ctx(settings, scanner),
            _services_ctx(settings, host),
            _background_ctx(settings),
            _loop_monitor_ctx,
        ]
    )
    app.cleanup_ctx.append(metrics_listener_ctx)  # after the store: a scrape reads it
    app.cleanup_ctx.append(_instances_ctx)  # after the services: events render with them
    app.on_shutdown.append(_close_sockets)
    setup_routes(app)
    return app


def _install_basics(app: web.Application, settings: Settings, host: str | None) -> None:
    """Settings, the token service, the metrics and the connection registry."""
    app[keys.SETTINGS] = settings
    app[keys.TOKENS] = TokenService(
        settings.signing_secret(host or settings.config.server.host), settings.config.auth
    )
    app[keys.METRICS] = Metrics()
    app[keys.REGISTRY] = Registry()


def _install_fanout_and_rates(app: web.Application, settings: Settings) -> None:
    """In-process fan-out and local rates, or with REDIS_URL both shared over instances."""
    registry = app[keys.REGISTRY]
    if settings.redis_url is None:
        app[keys.FANOUT] = InProcessFanOut(registry)
        app[keys.RATES] = Rates.from_config(settings.config)
        return
    fanout = RedisFanOut(settings.redis_url.reveal(), registry, app[keys.METRICS])
    app[keys.FANOUT] = fanout
    shared = GlobalLimits(  # a customer's frames, messages and sockets over instances
        settings.redis_url.reveal(),
        fanout.instance_id,
        app[keys.METRICS],
        sockets_ttl_secs=settings.config.auth.max_ttl_secs + INSTANCE_TTL_SECS,
        call_timeout_secs=settings.config.limits.shared_limits_timeout_secs,
    )
    app[keys.RATES] = Rates.from_config(settings.config, shared=shared)


def _store_ctx(settings: Settings, store_uri: str | None) -> CleanupContext:
    """The store client (and the embedded child when no URI is given)."""

    async def store_ctx(app: web.Application) -> AsyncIterator[None]:
        async with open_store(settings, uri=store_uri) as store:
            app[keys.STORE] = store
            yield

    return store_ctx


def _scanner_ctx(settings: Settings, scanner: Scanner | None) -> CleanupContext:
    """The given scanner, or a detection pool started here and closed on the way out."""

    async def scanner_ctx(app: web.Application) -> AsyncIterator[None]:
        if scanner is not None:
            app[keys.SCANNER] = scanner
            yield
            return
        from detectors import DetectorPool

        detection = settings.config.detection
        pool = DetectorPool(
            settings.config_dir,
            workers=detection.workers,
            queued_per_owner=detection.queued_per_customer,
        )
        try:
            await pool.start()
        except BaseException:  # failed, or the server is stopping while the workers start
            await pool.close()
            raise
        app[keys.SCANNER] = PoolScanner(pool)
        try:
            yield
        finally:
            await pool.close()

    return scanner_ctx


def _services_ctx(settings: Settings, host: str | None) -> CleanupContext:
    """The field cipher (master key loaded) and the `Services` every action takes."""

    async def services_ctx(app: web.Application) -> AsyncIterator[None]:
        from detectors.memory import return_large_blocks  # imported with the pool already

        return_large_blocks()  # decoded uploads' memory goes back when freed
        store = app[keys.STORE]
        master_key = await asyncio.to_thread(
            load_master_key,
            settings.master_key,
            settings.data_dir,
            allow_dev_key=store.kind == "embedded"
            and is_loopback(host or settings.config.server.host),
        )
        cipher = FieldCipher(
            store.client, settings.config.store.database, master_key, kmip=settings.kmip
        )
        await cipher.start()
        files = await asyncio.to_thread(settings.config_files)  # checked by Settings.load
        app[keys.SERVICES] = Services(
            settings=settings,
            store=store,
            fanout=app[keys.FANOUT],
            scanner=app[keys.SCANNER],
            metrics=app[keys.METRICS],
            cipher=cipher,
            notifier=WebhookNotifier(files.webhooks, store.webhook_deliveries),
            limits=ResourceLimits.from_config(settings.attachments, app[keys.METRICS]),
        )
        try:
            yield
        finally:
            await cipher.close()

    return services_ctx


def _background_ctx(settings: Settings) -> CleanupContext:
    """The service's periodic jobs. Consent expiry, deletion requests and retention
    run on one instance at a time, each under its lease (chat_service/jobs.py); webhook
    notices run everywhere, each delivery claimed by one sender."""

    async def background_ctx(app: web.Application) -> AsyncIterator[None]:
        services = app[keys.SERVICES]
        await asyncio.to_thread(  # temporary files of uploads a killed process left behind
            sweep_stale_uploads,
            settings.data_dir / TMP_DIR_NAME,
            settings.attachments.stale_upload_secs,
        )
        holder = new_holder("server")  # this instance, in every lease it takes
        jobs = _leased_jobs(services, holder)
        app[keys.JOBS] = jobs
        stop = asyncio.Event()
        tasks = [job.start(stop) for job in jobs]
        tasks += [
            asyncio.create_task(services.notifier.run(stop), name="webhook-notifier"),
            asyncio.create_task(
                retention_loop(
                    services,
                    settings.config_files().retention,
                    stop=stop,
                    holder=holder,
                    failures=services.metrics.retention_failures,
                    held=services.metrics.job_lease_held.labels(RETENTION_JOB),
                ),
                name=RETENTION_JOB,
            ),
        ]
        yield
        await _stop_background(stop, tasks)

    return background_ctx


async def _stop_background(stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    """Ask first, cancel only what overstays: a task cancelled inside a store call may
    be opening a connection, and the driver leaves such a socket unclosed."""
    stop.set()
    _, overstaying = await asyncio.wait(tasks, timeout=BACKGROUND_STOP_GRACE_SECS)
    for task in overstaying:
        logger.warning("background job did not stop in time", extra={"job": task.get_name()})
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _loop_monitor_ctx(app: web.Application) -> AsyncIterator[None]:
    """The event loop's lag and the garbage collector's pauses (gc_pauses.py) in /metrics."""
    metrics = app[keys.METRICS]
    pauses = GcPauses(metrics.gc_pauses)
    pauses.install()
    metrics.gc_frozen.set_function(frozen_objects)
    for generation in range(3):
        metrics.gc_thresholds.labels(str(generation)).set_function(
            functools.partial(collection_threshold, generation)
        )
    task = asyncio.create_task(_watch_loop_lag(metrics), name="loop-lag")
    yield
    task.cancel()
    pauses.remove()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _instances_ctx(app: web.Application) -> AsyncIterator[None]:
    """With REDIS_URL: events and cache invalidations to and from the other instances
    (fanout_redis.py). Redis unreachable does not stop the start: it is retried, and
    meanwhile this instance serves its own sockets and reads around its caches."""
    fanout = app[keys.FANOUT]
    if not isinstance(fanout, RedisFanOut):
        yield
        return
    services = app[keys.SERVICES]
    fanout.resolve(MESSAGE, lambda data: message_render(services, data))
    fanout.resolve(OPENED, lambda data: opened_render(services, data))  # agent speed
    store = services.store
    fanout.cache("consents", store.consents)
    fanout.cache("consent_requests", store.consent_requests)
    fanout.cache("conversations", store.conversations)
    store.consents.coherence = fanout
    store.consent_requests.coherence = fanout
    store.conversations.coherence = fanout
    stop = asyncio.Event()
    tasks = [asyncio.create_task(fanout.run(stop), name="instances")]
    shared = app[keys.RATES].shared
    if shared is not None:
        tasks.append(asyncio.create_task(shared.run(stop), name="global-limits"))
    yield
    stop.set()
    await asyncio.gather(*tasks)


async def _close_sockets(app: web.Application) -> None:
    """Server going away: tell every client (1001) so it reconnects elsewhere (a peer that
    does not take the close frame within the send timeout is aborted)."""
    connections = app[keys.REGISTRY].all()
    await asyncio.gather(
        *(c.close(WSCloseCode.GOING_AWAY, "server shutdown") for c in connections),
        return_exceptions=True,
    )


def _leased_jobs(services: Services, holder: str) -> list[LeasedJob]:
    """Consent expiry and deletion requests, each on one instance at a time."""
    jobs_config = services.settings.config.jobs
    metrics = services.metrics

    async def sweep_consents(turn: Turn) -> None:
        """Requests nobody answered in time count as refused: their values are destroyed."""
        expired = await sweep_expired(services, keep=turn.keep)
        if expired:
            logger.info("consent requests expired", extra={"count": expired})

    async def deletion_requests(turn: Turn) -> None:
        await process_due(services, notifier=services.notifier, keep=turn.keep)

    return [
        LeasedJob(
            CONSENT_SWEEPER_JOB,
            sweep_consents,
            lease_secs=jobs_config.consent_sweeper_lease_secs,
            interval_secs=services.settings.consent.sweep_interval_secs,
            held=metrics.job_lease_held.labels(CONSENT_SWEEPER_JOB),
            leases=services.store.leases,
            holder=holder,
            errors=metrics.errors,
        ),
        LeasedJob(
            DELETION_JOB,
            deletion_requests,
            lease_secs=jobs_config.deletion_lease_secs,
            interval_secs=jobs_config.deletion_interval_secs,
            held=metrics.job_lease_held.labels(DELETION_JOB),
            leases=services.store.leases,
            holder=holder,
            errors=metrics.errors,
        ),
    ]


async def _watch_loop_lag(metrics: Metrics) -> None:
    while True:
        started = time.perf_counter()
        await asyncio.sleep(LOOP_LAG_INTERVAL_SECS)
        lag = time.perf_counter() - started - LOOP_LAG_INTERVAL_SECS
        metrics.loop_lag.set(max(lag, 0.0))
        if lag > 0.1:
            logger.warning("event loop lagged", extra={"lag_ms": round(lag * 1000, 1)})
