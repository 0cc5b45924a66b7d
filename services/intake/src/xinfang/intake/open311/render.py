"""GeoReport v2 documents in JSON or XML, and the spec's error format."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from fastapi.responses import Response

# XML element names of list items, by the list's name.
ITEM = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "notes": "note",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "keywords": "keyword",
}


def _xml_value(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, inner in value.items():
            _xml_value(element, key, inner)
    elif isinstance(value, list):
        for inner in value:
            _xml_value(element, ITEM.get(name, "item"), inner)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def to_xml(root: str, items: list[Any] | dict[str, Any]) -> bytes:
    """`<root>` with one child per item (lists) or per key (a document)."""
    element = ET.Element(root)
    if isinstance(items, dict):
        for key, value in items.items():
            _xml_value(element, key, value)
    else:
        for item in items:
            _xml_value(element, ITEM.get(root, "item"), item)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(element, encoding="utf-8")


def respond(fmt: str, root: str, body: list[Any] | dict[str, Any], status: int = 200) -> Response:
    """The body in the requested format; JSON lists are bare arrays, as the spec shows."""
    if fmt == "xml":
        return Response(to_xml(root, body), status, media_type="text/xml; charset=utf-8")
    text = json.dumps(body, ensure_ascii=False, default=str)
    return Response(text, status, media_type="application/json; charset=utf-8")


class Open311Error(Exception):
    """An error answered in the spec's format: HTTP status and `errors[] {code, description}`."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


def error_response(fmt: str, status: int, descriptions: list[str]) -> Response:
    errors = [{"code": status, "description": d} for d in descriptions]
    return respond(fmt if fmt in ("xml", "json") else "json", "errors", errors, status)
