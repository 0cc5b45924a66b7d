"""Signed webhooks for departments without NATS.

Each department event owed to a webhook is a row of the delivery outbox (id = the event id, so a
receiver can drop replays). A worker POSTs due rows with

    X-Xinfang-Webhook-Id:        the event id (replay-safe: the same on every retry)
    X-Xinfang-Webhook-Timestamp: Unix seconds of this attempt
    X-Xinfang-Webhook-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>

and retries failures with exponential back-off (5 s, 10 s, 20 s … capped at an hour) until
`max_attempts`, when the row is marked failed and counted.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx

from xinfang.common.logging import get_logger
from xinfang.routing import repository
from xinfang.routing.models import WebhookDelivery, WebhookEndpoint

if TYPE_CHECKING:
    from xinfang.routing.bootstrap import Routing

log = get_logger(__name__)

ID_HEADER = "X-Xinfang-Webhook-Id"
TIMESTAMP_HEADER = "X-Xinfang-Webhook-Timestamp"
SIGNATURE_HEADER = "X-Xinfang-Webhook-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=` and the hex HMAC-SHA256 of `<timestamp>.<body>`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def verify(
    secret: str, *, timestamp: str, body: bytes, signature: str, now: int, tolerance: int = 300
) -> bool:
    """What a receiver checks: a fresh timestamp and a matching signature (constant time)."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


def backoff(attempts: int, *, base: float) -> timedelta:
    """base, 2·base, 4·base … capped at an hour."""
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600.0))


class WebhookWorker:
    """Delivers due webhook rows forever; one failure never stops the others."""

    def __init__(self, routing: Routing) -> None:
        self.routing = routing
        settings = routing.settings
        self.interval, self.batch = settings.webhook_interval_seconds, settings.webhook_batch
        self.max_attempts, self.base = (
            settings.webhook_max_attempts,
            settings.webhook_backoff_seconds,
        )

    async def run(self) -> None:
        async with httpx.AsyncClient(
            timeout=self.routing.settings.webhook_timeout_seconds
        ) as client:
            while True:
                try:
                    await self.deliver_due(client)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("webhook_round_failed", error=repr(exc))
                await asyncio.sleep(self.interval)

    async def deliver_due(self, client: httpx.AsyncClient) -> int:
        """Attempt every due delivery once; returns how many were attempted."""
        now = self.routing.clock.now()
        async with self.routing.db.reading() as session:
            rows = await repository.due_deliveries(session, now=now, limit=self.batch)
            endpoints = {
                r.department_code: await session.get(WebhookEndpoint, r.department_code)
                for r in rows
            }
        for row in rows:
            error = await self._post(client, row, endpoints.get(row.department_code))
            await self._record(row.id, error)
        return len(rows)

    async def _post(
        self, client: httpx.AsyncClient, row: WebhookDelivery, endpoint: WebhookEndpoint | None
    ) -> str | None:
        if endpoint is None or not endpoint.active:
            return "no active webhook"
        timestamp = int(self.routing.clock.now().timestamp())
        body = row.body.encode()
        headers = {
            "Content-Type": "application/cloudevents+json",
            ID_HEADER: row.id,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self.routing.sealer.open(endpoint.secret), timestamp, body),
        }
        try:
            response = await client.post(endpoint.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        return None if response.is_success else f"HTTP {response.status_code}"

    async def _record(self, delivery_id: str, error: str | None) -> None:
        now = self.routing.clock.now()
        async with self.routing.db.transaction() as session:
            row = await session.get(WebhookDelivery, delivery_id)
            if row is None:
                return
            row.attempts += 1
            if error is None:
                row.status, row.delivered_at, row.last_error = "delivered", now, None
            elif row.attempts >= self.max_attempts:
                row.status, row.last_error = "failed", error
            else:
                row.next_attempt_at, row.last_error = (
                    now + backoff(row.attempts, base=self.base),
                    error,
                )
            session.add(row)
        self.routing.webhooks.labels("delivered" if error is None else row.status).inc()
        if error:
            log.warning(
                "webhook_attempt_failed",
                department=row.department_code,
                case_no=row.case_no,
                attempts=row.attempts,
                error=error,
            )
