"""The AsyncAPI document departments read is generated from the models and committed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from xinfang.common.events import DepartmentEvent, event_types
from xinfang.routing.asyncapi import document

COMMITTED = Path(__file__).parents[4] / "docs" / "asyncapi.json"


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [
            r for v in node.values() for r in refs(v)
        ]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_the_committed_asyncapi_document_matches_the_models() -> None:
    assert json.loads(COMMITTED.read_text(encoding="utf-8")) == document(), (
        "docs/asyncapi.json is stale: run "
        "`uv run python -m xinfang.routing asyncapi > docs/asyncapi.json`"
    )


def test_every_department_event_has_a_channel_on_the_department_token_and_every_ref_resolves() -> (
    None
):
    doc = document()
    expected = {n for n, c in event_types().items() if issubclass(c, DepartmentEvent)}

    names = {m["name"] for m in doc["components"]["messages"].values()}
    addresses = {c["address"] for c in doc["channels"].values()}

    assert doc["asyncapi"] == "3.0.0"
    assert names == expected and "xinfang.case.answered.v1" in names
    assert "xinfang.petition.routed.{department}" in addresses
    assert all(resolve(doc, r) is not None for r in refs(doc))
    routed = doc["components"]["schemas"]["PetitionRouted"]
    assert {"department_code", "rule", "reason", "routed_at"} <= set(routed["required"])


def test_the_command_line_prints_the_same_document() -> None:
    output = subprocess.run(
        [sys.executable, "-m", "xinfang.routing", "asyncapi"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout

    assert json.loads(output) == document()
