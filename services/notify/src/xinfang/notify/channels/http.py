"""A signed JSON POST shared by the SMS and webhook channels, with errors sorted for retries."""

from __future__ import annotations

import json
from typing import Any

import httpx

from xinfang.notify.channels.base import DeliveryError
from xinfang.notify.channels.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign


async def post_signed(
    client: httpx.AsyncClient,
    *,
    url: str,
    payload: dict[str, Any],
    secret: str,
    timestamp: str,
    headers: dict[str, str],
    prefix: str,
) -> httpx.Response:
    """POST `payload` signed with `secret`; DeliveryError unless the receiver says 2xx.

    A 4xx other than 408/429 is the receiver refusing this message for good; everything else
    (5xx, timeouts, refused connections) is worth retrying.
    """
    body = json.dumps(payload, ensure_ascii=False).encode()
    signed = {
        "Content-Type": "application/json; charset=utf-8",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret=secret, timestamp=timestamp, body=body),
        **headers,
    }
    try:
        response = await client.post(url, content=body, headers=signed)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{prefix}_unavailable", type(exc).__name__) from exc
    if response.is_success:
        return response
    permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
    raise DeliveryError(f"{prefix}_{response.status_code}", "receiver refused", permanent=permanent)
