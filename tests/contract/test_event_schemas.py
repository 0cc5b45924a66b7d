"""The event schemas departments read are the ones the code produces."""

import json
from pathlib import Path

from xinfang.common.events.schema import event_schemas

PUBLISHED = Path(__file__).parents[2] / "docs" / "events.schema.json"


def test_the_published_event_schemas_match_the_models():
    published = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    assert published == event_schemas(), (
        "docs/events.schema.json is stale: run "
        "`uv run python -m xinfang.common.events.schema > docs/events.schema.json`"
    )
