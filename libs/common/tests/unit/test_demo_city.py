"""The demo city's reference data (regions, categories, departments, routing) hangs together."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import xinfang.common

DEMO_CITY = Path(xinfang.common.__file__).parent / "reference" / "demo_city"

REGION_LEVELS = ("city", "district", "street")
DEPARTMENT_KINDS = {
    "government",
    "petition_bureau",
    "politics_law",
    "discipline",
    "congress",
    "court",
    "procuratorate",
}
FIRST_LEVEL_CLASSES = {
    "01": "政治综合",
    "02": "经济综合",
    "03": "宣传舆论",
    "04": "纪检监察",
    "05": "组织人事",
    "06": "劳动社保",
    "07": "教育",
    "08": "卫生计生",
    "09": "科技文体",
    "10": "交通能源环保",
    "11": "民政",
    "12": "农村农业",
    "13": "国土资源水利林业",
    "14": "城乡建设",
    "15": "信息产业",
    "16": "商贸旅游",
    "17": "政法",
    "99": "其他",
}
DEPARTMENT_CODE = re.compile(r"^[A-Z0-9_]+$")


@cache
def _load(name: str) -> tuple[dict[str, Any], ...]:
    entries = json.loads((DEMO_CITY / f"{name}.json").read_text(encoding="utf-8"))
    assert isinstance(entries, list), f"{name}.json must hold a list"
    return tuple(entries)


def _by_code(name: str) -> dict[str, dict[str, Any]]:
    return {entry["code"]: entry for entry in _load(name)}


def _region_chain(code: str) -> list[str]:
    """The region and all its ancestors, nearest first."""
    regions = _by_code("regions")
    chain = []
    current: str | None = code
    while current is not None:
        chain.append(current)
        current = regions[current]["parent"]
    return chain


def _category_chain(code: str) -> list[str]:
    """The category and all its ancestors, nearest first."""
    categories = _by_code("categories")
    chain = []
    current: str | None = code
    while current is not None:
        chain.append(current)
        current = categories[current]["parent"]
    return chain


def _rank(level: str) -> int:
    return REGION_LEVELS.index(level)


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("regions", {"code", "name", "level", "parent"}),
        ("categories", {"code", "name", "level", "parent", "public"}),
        ("departments", {"code", "name", "level", "kind", "parent", "regions", "categories"}),
        ("routing", {"category", "department"}),
    ],
)
def test_every_entry_of_each_file_carries_the_documented_keys(name: str, keys: set[str]) -> None:
    for entry in _load(name):
        assert keys <= entry.keys(), f"{name}: {entry} lacks {keys - entry.keys()}"


@pytest.mark.parametrize("name", ["regions", "categories", "departments"])
def test_codes_are_unique_within_each_file(name: str) -> None:
    counts = Counter(entry["code"] for entry in _load(name))
    assert [code for code, n in counts.items() if n > 1] == []


def test_there_is_exactly_one_city_and_it_is_the_only_region_without_a_parent() -> None:
    roots = [r for r in _load("regions") if r["parent"] is None]
    assert [r["level"] for r in roots] == ["city"]
    assert [r for r in _load("regions") if r["level"] == "city"] == roots


def test_region_codes_have_six_digits_and_streets_nine() -> None:
    for region in _load("regions"):
        width = 9 if region["level"] == "street" else 6
        assert re.fullmatch(rf"\d{{{width}}}", region["code"]), region


def test_every_region_parent_exists_one_level_up_and_prefixes_the_code() -> None:
    regions = _by_code("regions")
    for region in regions.values():
        if region["parent"] is None:
            continue
        assert region["parent"] in regions, region
        parent = regions[region["parent"]]
        assert _rank(parent["level"]) == _rank(region["level"]) - 1, region
        prefix = parent["code"] if region["level"] == "street" else parent["code"][:4]
        assert region["code"].startswith(prefix), region
        if region["level"] == "district":
            assert region["code"][4:] != "00", region


def test_each_district_has_two_to_four_streets() -> None:
    streets = Counter(r["parent"] for r in _load("regions") if r["level"] == "street")
    districts = [r["code"] for r in _load("regions") if r["level"] == "district"]
    assert 5 <= len(districts) <= 6
    assert all(2 <= streets[code] <= 4 for code in districts), streets


def test_category_codes_follow_the_two_two_two_scheme_of_their_parents() -> None:
    categories = _by_code("categories")
    for category in categories.values():
        code, level, parent = category["code"], category["level"], category["parent"]
        assert re.fullmatch(r"\d{6}", code), category
        head, middle, tail = code[:2], code[2:4], code[4:]
        if level == 1:
            assert parent is None and middle == "00" and tail == "00", category
        elif level == 2:
            assert parent == f"{head}0000" and middle != "00" and tail == "00", category
        else:
            assert level == 3, category
            assert parent == f"{head}{middle}00" and middle != "00" and tail != "00", category
        if parent is not None:
            assert parent in categories, category
            assert categories[parent]["level"] == level - 1, category


def test_first_level_categories_are_the_eighteen_classes_of_the_regulations() -> None:
    first = {c["code"]: c for c in _load("categories") if c["level"] == 1}
    assert {code[:2]: c["name"] for code, c in first.items()} == FIRST_LEVEL_CLASSES
    assert all(c.get("name_en") for c in first.values())


def test_every_first_level_class_has_two_to_four_second_level_entries() -> None:
    children = Counter(c["parent"] for c in _load("categories") if c["level"] == 2)
    for code in (c["code"] for c in _load("categories") if c["level"] == 1):
        assert 2 <= children[code] <= 4, code


def test_every_category_says_whether_residents_may_file_under_it_online() -> None:
    assert all(isinstance(c["public"], bool) for c in _load("categories"))


def test_accusation_and_court_related_classes_can_be_filed_online() -> None:
    for category in _load("categories"):
        if category["code"][:2] in ("04", "17"):
            assert category["public"] is True, category


def test_department_codes_can_be_used_as_nats_subject_tokens() -> None:
    for department in _load("departments"):
        assert DEPARTMENT_CODE.fullmatch(department["code"]), department["code"]


def test_department_levels_and_kinds_are_known() -> None:
    for department in _load("departments"):
        assert department["level"] in REGION_LEVELS, department["code"]
        assert department["kind"] in DEPARTMENT_KINDS, department["code"]


def test_every_department_parent_exists_at_the_same_or_a_higher_level() -> None:
    departments = _by_code("departments")
    for department in departments.values():
        if department["parent"] is None:
            continue
        assert department["parent"] in departments, department["code"]
        parent = departments[department["parent"]]
        assert _rank(parent["level"]) <= _rank(department["level"]), department["code"]


def test_every_department_serves_existing_regions_of_its_own_level() -> None:
    regions = _by_code("regions")
    for department in _load("departments"):
        assert department["regions"], department["code"]
        for code in department["regions"]:
            assert code in regions, (department["code"], code)
            assert regions[code]["level"] == department["level"], (department["code"], code)


def test_a_department_serves_only_regions_inside_those_of_its_leading_unit() -> None:
    departments = _by_code("departments")
    for department in departments.values():
        if department["parent"] is None:
            continue
        served_by_parent = set(departments[department["parent"]]["regions"])
        for code in department["regions"]:
            assert served_by_parent & set(_region_chain(code)), (department["code"], code)


def test_every_department_handles_existing_categories() -> None:
    categories = _by_code("categories")
    for department in _load("departments"):
        assert department["categories"], department["code"]
        for code in department["categories"]:
            assert code in categories, (department["code"], code)


def test_the_city_has_one_department_of_each_special_kind() -> None:
    city_kinds = Counter(d["kind"] for d in _load("departments") if d["level"] == "city")
    for kind in DEPARTMENT_KINDS - {"government"}:
        assert city_kinds[kind] == 1, kind


def test_routing_covers_every_first_level_category_exactly_once() -> None:
    first = {c["code"] for c in _load("categories") if c["level"] == 1}
    routed = Counter(r["category"] for r in _load("routing") if r["category"] in first)
    assert set(routed) == first
    assert all(n == 1 for n in routed.values()), routed


def test_routing_names_each_category_once_and_only_first_or_second_level_ones() -> None:
    categories = _by_code("categories")
    counts = Counter(r["category"] for r in _load("routing"))
    assert [code for code, n in counts.items() if n > 1] == []
    for code in counts:
        assert code in categories and categories[code]["level"] in (1, 2), code


def test_routing_points_to_existing_departments_that_handle_the_category() -> None:
    departments = _by_code("departments")
    for rule in _load("routing"):
        department = departments.get(rule["department"])
        assert department is not None, rule
        handled = set(department["categories"])
        assert handled & set(_category_chain(rule["category"])), rule


@pytest.mark.parametrize(
    ("category", "kind"),
    [("040000", "discipline"), ("170000", "politics_law"), ("990000", "petition_bureau")],
)
def test_accusations_go_to_discipline_court_matters_to_politics_law_and_other_to_triage(
    category: str, kind: str
) -> None:
    departments = _by_code("departments")
    rule = next(r for r in _load("routing") if r["category"] == category)
    assert departments[rule["department"]]["kind"] == kind
