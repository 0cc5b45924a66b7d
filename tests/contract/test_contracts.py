"""What the services agree on: the event catalogue, the schema departments read, and that no
service reaches into another's code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from xinfang.common.events import CaseEvent, event_types, subject_for
from xinfang.common.events.schema import event_schemas

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "src").is_dir())
TYPE_NAME = re.compile(r"^xinfang\.[a-z_]+\.[a-z_]+\.v\d+$")


def test_every_event_type_is_named_xinfang_aggregate_past_verb_and_version() -> None:
    names = list(event_types())
    assert names, "no event types registered"
    for name in names:
        assert TYPE_NAME.match(name), name
        assert name.split(".")[2].endswith("ed"), f"{name}: the verb should be past tense"


def test_the_published_schema_lists_every_event_with_its_subject_and_case_number() -> None:
    schemas = event_schemas()
    assert set(schemas["events"]) == set(event_types())
    for name, schema in schemas["events"].items():
        assert schema["x-subject"] == subject_for(name)
        if issubclass(event_types()[name], CaseEvent):
            assert "case_no" in schema["required"], name
    assert {"id", "source", "type", "time", "data"} <= set(schemas["envelope"]["required"])


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_a_service_never_imports_another_service() -> None:
    for service in SERVICES:
        others = [s for s in SERVICES if s != service]
        for path in (ROOT / "services" / service).rglob("*.py"):
            for module in imported_modules(path):
                parts = module.split(".")
                assert not (parts[0] == "xinfang" and len(parts) > 1 and parts[1] in others), (
                    f"{path.relative_to(ROOT)} imports {module}"
                )


def test_the_shared_library_imports_no_service() -> None:
    library = ROOT / "libs" / "common" / "src"
    for path in library.rglob("*.py"):
        for module in imported_modules(path):
            parts = module.split(".")
            assert not (parts[0] == "xinfang" and len(parts) > 1 and parts[1] in SERVICES), (
                f"{path.relative_to(ROOT)} imports {module}"
            )
