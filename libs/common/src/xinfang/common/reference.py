"""Reference data a deployment replaces: divisions, categories, departments, routing table.

The demo city ships in `reference/demo_city/`; `reference_dir` points elsewhere to replace it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter


class _Ref(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Region(_Ref):
    code: str
    name: str
    level: Literal["city", "district", "street"]
    parent: str | None = None


class Category(_Ref):
    code: str
    name: str
    name_en: str | None = None
    level: int
    parent: str | None = None
    public: bool = True


class Department(_Ref):
    code: str
    name: str
    level: Literal["city", "district", "street"]
    kind: str
    parent: str | None = None
    regions: list[str] = []
    categories: list[str] = []


class RoutingRule(_Ref):
    category: str
    department: str


def _load(directory: Path, name: str, model: Any) -> list[Any]:
    with (directory / name).open(encoding="utf-8") as f:
        return TypeAdapter(list[model]).validate_python(json.load(f))


def load_regions(directory: Path) -> list[Region]:
    return _load(directory, "regions.json", Region)


def load_categories(directory: Path) -> list[Category]:
    return _load(directory, "categories.json", Category)


def load_departments(directory: Path) -> list[Department]:
    return _load(directory, "departments.json", Department)


def load_routing(directory: Path) -> list[RoutingRule]:
    return _load(directory, "routing.json", RoutingRule)
