"""Metrics for Prometheus: one registry per application (no module-level singletons), served at
`/metrics` on `metrics.listen` when it is set."""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest

log = logging.getLogger(__name__)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter("frontdesk_updates_total", "Updates handled, by kind", ["kind"],
                               registry=self.registry)
        self.redeliveries = Counter("frontdesk_redelivered_updates_total", "Updates skipped as already handled",
                                    registry=self.registry)
        self.tickets = Counter("frontdesk_tickets_opened_total", "Tickets opened", ["criticality"],
                               registry=self.registry)
        self.searches = Counter("frontdesk_faq_searches_total", "FAQ searches, by decision", ["decision"],
                                registry=self.registry)
        self.sent = Counter("frontdesk_outbox_sent_total", "Outbox rows sent, by kind", ["kind"],
                            registry=self.registry)
        self.failed = Counter("frontdesk_outbox_failed_total", "Outbox rows given up, by kind", ["kind"],
                              registry=self.registry)
        self.retries = Counter("frontdesk_api_retries_total", "Bot API calls retried, by reason", ["reason"],
                               registry=self.registry)
        self.backlog = Gauge("frontdesk_outbox_due", "Outbox rows due and not sent yet", registry=self.registry)
        self.unparsed = Counter("frontdesk_unparsed_updates_total",
                                "Updates skipped because the library could not parse them", registry=self.registry)
        self.throttled = Counter("frontdesk_throttled_messages_total",
                                 "Messages dropped because their sender was flooding", registry=self.registry)
        self.reminders = Counter("frontdesk_reminders_total", "Scheduler reminders done", registry=self.registry)

    def render(self) -> bytes:
        return generate_latest(self.registry)


async def serve(metrics: Metrics, listen: str) -> web.AppRunner:
    """Serve `/metrics` on `listen` (host:port); the caller cleans the runner up."""

    async def handler(_request: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/metrics", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    host, port = listen.rsplit(":", 1)
    await web.TCPSite(runner, host, int(port)).start()
    log.info("metrics for Prometheus on http://%s/metrics", listen)
    return runner
