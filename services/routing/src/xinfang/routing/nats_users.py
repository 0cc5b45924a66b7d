"""The NATS user of a department: it may read its own feed and nothing else.

`python -m xinfang.routing nats-user --dept C_URBAN` prints the block for nats-server's
`authorization.users`. The department reads through its durable consumer `dept-<CODE>` filtered
on `xinfang.*.*.<CODE>` (it may create that one consumer and no other), may watch its subjects
live, and connects with `inbox_prefix="_INBOX_<CODE>"` so no one else's replies reach it.
"""

from __future__ import annotations

import json
from typing import Any

STREAM = "XINFANG"


def durable_of(code: str) -> str:
    """The department's durable consumer name."""
    return f"dept-{code}"


def permissions(code: str) -> dict[str, Any]:
    """nats-server permissions of department `code`'s user."""
    durable, feed = durable_of(code), f"xinfang.*.*.{code}"
    return {
        "publish": {
            "allow": [
                "$JS.API.INFO",
                f"$JS.API.CONSUMER.INFO.{STREAM}.{durable}",
                f"$JS.API.CONSUMER.CREATE.{STREAM}.{durable}.{feed}",
                f"$JS.API.CONSUMER.DURABLE.CREATE.{STREAM}.{durable}",
                f"$JS.API.CONSUMER.MSG.NEXT.{STREAM}.{durable}",
                f"$JS.ACK.{STREAM}.{durable}.>",
            ]
        },
        "subscribe": {"allow": [f"_INBOX_{code}.>", feed]},
    }


def user_block(code: str, *, password: str = "<bcrypt hash of the department's password>") -> str:
    """The user entry, in nats-server's configuration syntax (JSON is valid there)."""
    user = {"user": f"dept_{code}", "password": password, "permissions": permissions(code)}
    return json.dumps(user, ensure_ascii=False, indent=2)
