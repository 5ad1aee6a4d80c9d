"""Prometheus metrics, one registry per application (tests run several apps at once).

Labels never carry message content, identifiers or values: only codes and kinds.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.connections = Gauge(
            "chat_ws_connections", "Open WebSocket connections", ["role"], registry=r
        )
        self.messages_stored = Counter(
            "chat_messages_stored_total", "Messages durably stored", ["kind", "role"], registry=r
        )
        self.duplicates = Counter(
            "chat_message_duplicates_total", "Resends answered with the original ack", registry=r
        )
        self.frames_rejected = Counter(
            "chat_frames_rejected_total",
            "Client frames answered with an error",
            ["code"],
            registry=r,
        )
        self.policy_closes = Counter(
            "chat_ws_policy_closes_total", "Sockets closed for abuse", ["reason"], registry=r
        )
        self.tcp_connections = Gauge(
            "chat_tcp_connections", "Open client connections (HTTP and WebSocket)", registry=r
        )
        self.connections_refused = Counter(
            "chat_connections_refused_total",
            "Connections reset on arrival (per_ip, fd_reserve) or to make room (replaced)",
            ["reason"],
            registry=r,
        )
        self.connection_timeouts = Counter(
            "chat_connection_timeouts_total",
            "Connections closed because a request's headers or body did not arrive in time",
            ["phase"],
            registry=r,
        )
        self.send_latency = Histogram(
            "chat_message_send_seconds",
            "From frame received to ack queued",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=r,
        )
        self.store_up = Gauge("chat_store_up", "1 when the store answers a ping", registry=r)
        self.store_restarts = Gauge(
            "chat_embedded_store_restarts", "Times the embedded store was restarted", registry=r
        )
        self.loop_lag = Gauge(
            "chat_event_loop_lag_seconds", "Last measured event-loop lag", registry=r
        )
        self.gc_pauses = Histogram(
            "chat_gc_pause_seconds",
            "Garbage-collector pauses of the server process, by generation (gc_pauses.py)",
            ["generation"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
            registry=r,
        )
        self.gc_frozen = Gauge(
            "chat_gc_frozen_objects",
            "Objects frozen out of garbage collection after start-up (0: not frozen)",
            registry=r,
        )
        self.gc_thresholds = Gauge(
            "chat_gc_threshold",
            "The collector's thresholds by generation: 0 objects, 1 and 2 collections",
            ["generation"],
            registry=r,
        )
        self.job_lease_held = Gauge(
            "chat_job_lease_held",
            "1 while this instance holds the periodic job's lease (runs it), else 0",
            ["job"],
            registry=r,
        )
        self.retention_failures = Counter(
            "chat_retention_failures_total",
            "Retention runs that failed (the run record says why)",
            registry=r,
        )
        self.attachments_stored = Counter(
            "chat_attachments_stored_total",
            "Attachments accepted and stored",
            ["kind", "status"],
            registry=r,
        )
        self.attachments_rejected = Counter(
            "chat_attachments_rejected_total",
            "Uploads refused (by error code)",
            ["code"],
            registry=r,
        )
        self.attachment_scan_failures = Counter(
            "chat_attachment_scan_failures_total",
            "Attachments held because reading or scanning them failed",
            ["reason"],
            registry=r,
        )
        self.upload_budget_in_use = Gauge(
            "chat_upload_budget_in_use_bytes",
            "Memory charged to uploads being decoded, sanitised and scanned",
            registry=r,
        )
        self.upload_budget_waiting = Gauge(
            "chat_upload_budget_waiting",
            "Uploads waiting for their share of the decoding memory budget",
            registry=r,
        )
        self.rate_limited = Counter(
            "chat_http_rate_limited_total",
            "HTTP requests refused by a shared rate limit (customer writes, failed auth per IP)",
            ["scope"],
            registry=r,
        )
        self.redis_up = Gauge(
            "chat_redis_up",
            "1 while subscribed to the instances' Redis channel (REDIS_URL set)",
            registry=r,
        )
        self.remote_events_dropped = Counter(
            "chat_fanout_remote_dropped_total",
            "Events or cache invalidations not carried across instances (best effort: "
            "clients catch up from history; caches are bypassed while Redis is down)",
            ["reason"],
            registry=r,
        )
        self.global_limits_fallback = Counter(
            "chat_global_limits_fallback_total",
            "Per-customer limit decisions taken on this instance's own tables because Redis "
            "did not answer in time (REDIS_URL set; net/README.md)",
            ["limit"],
            registry=r,
        )
        self.errors = Counter(
            "chat_unexpected_errors_total",
            "Unexpected exceptions at a boundary",
            ["where"],
            registry=r,
        )
        # -- teamwork (docs/teamwork.md) ----------------------------------------------------
        self.transfers = Counter(
            "chat_conversation_transfers_total",
            "Conversations moved to another agent or back to the queue",
            ["to"],
            registry=r,
        )
        self.notes = Counter("chat_notes_total", "Internal notes stored", registry=r)
        self.ratings = Counter(
            "chat_conversation_ratings_total",
            "Ratings customers gave to ended conversations, by score (1-5)",
            ["score"],
            registry=r,
        )
        self.first_response = Histogram(
            "chat_first_response_seconds",
            "From a conversation's start to its agent's first message (at close)",
            buckets=(5, 15, 30, 60, 120, 300, 600, 1800, 3600, 14400),
            registry=r,
        )
        self.resolution = Histogram(
            "chat_resolution_seconds",
            "From a conversation's start to its close",
            buckets=(60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400),
            registry=r,
        )
