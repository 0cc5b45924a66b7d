"""The AsyncAPI 3.0 document of every event a department may receive, generated from the event
models: `python -m xinfang.routing asyncapi > docs/asyncapi.json`."""

from __future__ import annotations

import json
from typing import Any

from xinfang.common.events import DepartmentEvent, Envelope, event_types, subject_for

REF = "#/components/schemas/{model}"

DESCRIPTION = """\
What a department (承办单位) receives from xinfang routing. Every event is a CloudEvents 1.0
envelope in JSON whose `data` is the event below; `subject` is the case number.

**NATS**: events are published on JetStream stream `XINFANG` with subjects ending in the
department's code, e.g. `xinfang.petition.routed.C_URBAN`. Consume with your own durable pull
consumer filtered on `xinfang.*.*.<CODE>`; your NATS user may only read those subjects. The
message header `Nats-Msg-Id` equals the envelope id: drop ids you have already applied.

**Webhooks** (for departments without NATS): the same envelope is POSTed to the department's URL
with headers `X-Xinfang-Webhook-Id` (the envelope id, the same on every retry),
`X-Xinfang-Webhook-Timestamp` (Unix seconds) and `X-Xinfang-Webhook-Signature`
(`v1=` + hex HMAC-SHA256 of `<timestamp>.<body>` with the shared secret). Answer 2xx to
acknowledge; anything else is retried with exponential back-off.

An accusation is never delivered to the accused unit nor to a unit it leads.
"""


def department_events() -> dict[str, type[DepartmentEvent]]:
    """Every registered event published on a department's subject, by type name."""
    return {
        name: cls
        for name, cls in sorted(event_types().items())
        if isinstance(cls, type) and issubclass(cls, DepartmentEvent)
    }


def _schema(cls: type[Any], schemas: dict[str, Any]) -> dict[str, Any]:
    schema = cls.model_json_schema(ref_template=REF)
    schemas.update(schema.pop("$defs", {}))
    return schema


def _envelope(type_name: str, data_ref: str) -> dict[str, Any]:
    envelope = Envelope.model_json_schema()
    properties = dict(envelope["properties"])
    properties["type"] = {"const": type_name, "type": "string"}
    properties["data"] = {"$ref": data_ref}
    return {"type": "object", "required": envelope["required"], "properties": properties}


def document() -> dict[str, Any]:
    """The whole AsyncAPI document."""
    schemas: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for type_name, cls in department_events().items():
        name = cls.__name__
        schemas[name] = _schema(cls, schemas)
        messages[name] = {
            "name": type_name,
            "title": name,
            "summary": (cls.__doc__ or "").strip().splitlines()[0],
            "contentType": "application/json",
            "headers": {
                "type": "object",
                "properties": {
                    "Nats-Msg-Id": {"type": "string", "description": "the envelope id"},
                    "traceparent": {"type": "string", "description": "W3C trace context"},
                },
            },
            "payload": _envelope(type_name, REF.format(model=name)),
        }
        channel = name[0].lower() + name[1:]
        channels[channel] = {
            "address": subject_for(type_name) + ".{department}",
            "parameters": {"department": {"description": "the department code, e.g. C_URBAN"}},
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        operations[f"receive{name}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "xinfang department feed",
            "version": "1.0.0",
            "description": DESCRIPTION,
        },
        "defaultContentType": "application/json",
        "servers": {
            "nats": {
                "host": "127.0.0.1:4222",
                "protocol": "nats",
                "description": "the platform's NATS",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": dict(sorted(schemas.items()))},
    }


def render() -> str:
    return json.dumps(document(), ensure_ascii=False, indent=2) + "\n"
