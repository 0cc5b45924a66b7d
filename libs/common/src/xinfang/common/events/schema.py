"""JSON Schema of every event, generated from the models: what departments read."""

from __future__ import annotations

import json
from typing import Any

from xinfang.common.events.envelope import Envelope, event_types, subject_for


def event_schemas() -> dict[str, Any]:
    """One JSON Schema document: the envelope, and each event's `data` by type name."""
    events = {}
    for type_name, cls in sorted(event_types().items()):
        schema = cls.model_json_schema()
        schema["x-subject"] = subject_for(type_name)
        events[type_name] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "xinfang events",
        "envelope": Envelope.model_json_schema(),
        "events": events,
    }


def main() -> None:
    print(json.dumps(event_schemas(), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
