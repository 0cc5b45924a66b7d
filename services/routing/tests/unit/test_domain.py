"""The routing decision and who sees an assignment: pure rules, no I/O."""

from __future__ import annotations

import pytest

from xinfang.common.auth import Principal, Role
from xinfang.common.reference import Category, Department, RoutingRule
from xinfang.common.settings import REFERENCE_DIR
from xinfang.routing.bootstrap import load_directory
from xinfang.routing.domain import Directory, decide, may_see, rule_candidates


@pytest.fixture(scope="module")
def demo() -> Directory:
    return load_directory(REFERENCE_DIR)


def a_department(code: str, kind: str = "government", level: str = "city") -> Department:
    return Department(code=code, name=f"{code}单位", level=level, kind=kind)  # type: ignore[arg-type]


def a_category(code: str, name: str, parent: str | None = None) -> Category:
    level = 1 if parent is None else 2 if code.endswith("00") else 3
    return Category(code=code, name=name, level=level, parent=parent)


def housing(rules: dict[str, str]) -> Directory:
    """A small city: 城乡建设 with one branch, and rules as given (category → department)."""
    return Directory(
        departments=[a_department("BUREAU", "petition_bureau"), *map(a_department, "ABC")],
        rules=[RoutingRule(category=c, department=d) for c, d in rules.items()],
        categories=[
            a_category("140000", "城乡建设"),
            a_category("140200", "房屋拆迁", "140000"),
            a_category("140201", "安置补偿", "140200"),
            a_category("140202", "强制拆除", "140200"),
            a_category("140300", "住房保障", "140000"),
        ],
    )


def test_the_most_specific_rule_wins_exact_code_then_second_level_then_first_level() -> None:
    directory = housing({"140201": "A", "140200": "B", "140000": "C"})

    assert decide(directory, category_code="140201").rule == "category:140201"
    assert decide(directory, category_code="140202").rule == "category:140200"
    assert decide(directory, category_code="140300").rule == "category:140000"
    assert decide(directory, category_code="140000").department.code == "C"


def test_rules_are_looked_up_from_the_exact_code_up_to_its_first_level() -> None:
    assert rule_candidates("140201") == ["140201", "140200", "140000"]
    assert rule_candidates("140200") == ["140200", "140000"]
    assert rule_candidates("140000") == ["140000"]
    assert rule_candidates("14A2") == ["14A2"]


def test_a_second_level_rule_of_the_demo_city_overrides_its_first_level_rule(
    demo: Directory,
) -> None:
    decision = decide(demo, category_code="140401")

    assert (decision.department.code, decision.rule) == ("C_URBAN", "category:140400")
    assert decision.status == "assigned"
    assert decision.mode == "forward"


def test_a_category_without_a_rule_of_its_own_goes_where_its_first_level_rule_says(
    demo: Directory,
) -> None:
    decision = decide(demo, category_code="140201")

    assert (decision.department.code, decision.rule) == ("C_HOUSING", "category:140000")


def test_the_reason_names_the_category_path_and_the_department_in_chinese() -> None:
    directory = housing({"140300": "A"})

    assert (
        decide(directory, category_code="140300").reason
        == "内容分类「城乡建设/住房保障」由A单位主管"
    )


def test_the_reason_says_which_broader_category_the_matching_rule_covers() -> None:
    directory = housing({"140000": "C"})

    assert decide(directory, category_code="140201").reason == (
        "内容分类「城乡建设/房屋拆迁/安置补偿」属于「城乡建设」，由C单位主管"
    )


def test_a_petition_no_rule_covers_goes_to_the_petition_bureau_for_triage() -> None:
    directory = housing({"140300": "A"})

    decision = decide(directory, category_code="140201")

    assert decision.department.code == "BUREAU"
    assert decision.rule == "triage"
    assert decision.status == "triage"
    assert (
        decision.reason
        == "内容分类「城乡建设/房屋拆迁/安置补偿」没有匹配的转送规则，交BUREAU单位分流"
    )


def test_an_unknown_or_malformed_category_is_triaged_and_named_by_its_code(
    demo: Directory,
) -> None:
    for code in ("180000", "14A2", ""):
        decision = decide(demo, category_code=code)
        assert (decision.department.code, decision.rule) == ("C_PETITION", "triage")
        assert f"「{code}」没有匹配的转送规则" in decision.reason


def test_other_matters_reach_the_petition_bureau_by_rule_and_wait_there_for_triage(
    demo: Directory,
) -> None:
    decision = decide(demo, category_code="990000")

    assert (decision.department.code, decision.rule) == ("C_PETITION", "category:990000")
    assert decision.status == "triage"


def test_the_city_petition_bureau_takes_triage_rather_than_a_district_one() -> None:
    directory = Directory(
        departments=[
            a_department("D01_PETITION", "petition_bureau", level="district"),
            a_department("C_PETITION", "petition_bureau"),
        ],
        rules=[],
        categories=[],
    )

    assert directory.petition_bureau.code == "C_PETITION"


def test_a_directory_without_a_petition_bureau_is_refused() -> None:
    with pytest.raises(ValueError, match="petition_bureau"):
        Directory(departments=[a_department("A")], rules=[], categories=[])


def test_a_routing_table_naming_an_unknown_department_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown departments: \\['NOWHERE'\\]"):
        housing({"140000": "NOWHERE"})


def test_a_routing_table_naming_a_category_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="more than once"):
        Directory(
            departments=[a_department("BUREAU", "petition_bureau"), a_department("A")],
            rules=[RoutingRule(category="140000", department=d) for d in ("A", "BUREAU")],
            categories=[],
        )


def test_every_first_level_category_of_the_demo_city_reaches_a_department_by_rule(
    demo: Directory,
) -> None:
    first_level = [c.code for c in demo.categories.values() if c.level == 1]

    assert first_level
    assert all(decide(demo, category_code=c).rule != "triage" for c in first_level)


def test_staff_see_every_assignment_and_a_handler_only_its_own_departments() -> None:
    def principal(role: Role, department: str | None = None) -> Principal:
        return Principal(sub="someone", roles=[role], department=department)

    for role in (Role.SUPERVISOR, Role.CLERK, Role.LEADER, Role.OPERATOR, Role.ADMIN):
        assert may_see(principal(role), "C_URBAN")
    assert may_see(principal(Role.HANDLER, "C_URBAN"), "C_URBAN")
    assert not may_see(principal(Role.HANDLER, "C_HOUSING"), "C_URBAN")
    assert not may_see(principal(Role.HANDLER), "C_URBAN")
    assert not may_see(principal(Role.PETITIONER), "C_URBAN")
