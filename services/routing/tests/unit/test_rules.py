"""The routing rules and the shielding rule on the demo city's directory (pure, no I/O)."""

from __future__ import annotations

import pytest

from xinfang.common.reference import Department
from xinfang.common.settings import REFERENCE_DIR
from xinfang.routing.directory_store import DirectoryStore
from xinfang.routing.domain.directory import Directory
from xinfang.routing.domain.rules import Facts, decide
from xinfang.routing.domain.shielding import shield_for


def demo(*extra: Department) -> Directory:
    store = DirectoryStore(REFERENCE_DIR)
    return Directory(
        departments=[*store.seed_departments, *extra],
        rules=store.rules,
        categories=store.categories,
        regions=store.regions,
    )


def test_a_district_matter_goes_to_the_districts_own_department_rather_than_its_government() -> (
    None
):
    decision = decide(demo(), Facts(region_code="369901003", category_code="140201"))

    assert decision.lead is not None and decision.lead.code == "D01_HOUSING"
    assert decision.rule == "locality:369901"
    assert "属地" in decision.reason and "江城区住房和城乡建设局" in decision.reason


def test_a_street_matter_goes_to_the_street_office_that_handles_it() -> None:
    decision = decide(demo(), Facts(region_code="369901001", category_code="140401"))

    assert decision.lead is not None and decision.lead.code == "S01001_OFFICE"
    assert decision.rule == "locality:369901001"


def test_without_a_local_unit_the_most_specific_city_rule_wins() -> None:
    decision = decide(demo(), Facts(region_code="369902", category_code="170300"))

    assert decision.lead is not None and decision.lead.code == "C_PSB"
    assert decision.rule == "category:170300"


def test_a_court_related_matter_is_led_by_politics_and_law_with_the_content_unit_co_handling() -> (
    None
):
    decision = decide(
        demo(), Facts(region_code="369902", category_code="170100", court_related=True)
    )

    assert decision.lead is not None and decision.lead.kind == "politics_law"
    assert [d.code for d in decision.co_handlers] == ["C_COURT"]
    assert decision.rule == "flag:court_related"


def test_an_accusation_goes_to_the_discipline_body_of_the_accused_units_level() -> None:
    district_discipline = Department(
        code="D01_DISCIPLINE",
        name="江城区纪委监委",
        level="district",
        kind="discipline",
        regions=["369901"],
        categories=["040000"],
    )
    directory = demo(district_discipline)
    facts_district = Facts(
        region_code="369901",
        category_code="040200",
        matter_type="accusation",
        accused="D01_HOUSING",
    )
    facts_city = Facts(
        region_code="369901", category_code="040200", matter_type="accusation", accused="C_HOUSING"
    )

    district = decide(
        directory,
        facts_district,
        shield=shield_for(directory, accused="D01_HOUSING", accusation=True),
    )
    city = decide(
        directory, facts_city, shield=shield_for(directory, accused="C_HOUSING", accusation=True)
    )

    assert district.lead is not None and district.lead.code == "D01_DISCIPLINE"
    assert city.lead is not None and city.lead.code == "C_DISCIPLINE"
    assert district.rule == city.rule == "matter:accusation"
    assert "干部管理权限" in district.reason


def test_an_accusation_never_reaches_the_accused_nor_a_unit_it_leads_and_goes_one_level_up() -> (
    None
):
    directory = demo()
    shield = shield_for(directory, accused="D01_GOV", accusation=True)
    facts = Facts(
        region_code="369901001", category_code="140401", matter_type="accusation", accused="D01_GOV"
    )

    decision = decide(directory, facts, shield=shield)

    assert decision.lead is not None and decision.lead.code == "C_DISCIPLINE"
    codes = [d.code for d in decision.co_handlers]
    assert codes == ["C_URBAN"]  # S01001_OFFICE and D01_* are led by D01_GOV: up to the city
    assert (
        not shield.blocks("C_URBAN")
        and shield.blocks("S01001_OFFICE")
        and shield.blocks("D01_HOUSING")
    )
    assert "回避" in decision.reason


def test_a_city_rule_naming_the_accused_unit_is_lifted_to_its_leading_unit() -> None:
    directory = demo()
    shield = shield_for(directory, accused="C_URBAN", accusation=True)

    decision = decide(
        directory,
        Facts(region_code="369900", category_code="140401", accused="C_URBAN"),
        shield=shield,
    )

    assert decision.lead is not None and decision.lead.code == "C_GOV"
    assert "回避" in decision.reason


def test_an_accusation_against_the_only_discipline_body_goes_to_triage() -> None:
    directory = demo()
    shield = shield_for(directory, accused="C_DISCIPLINE", accusation=True)
    facts = Facts(
        region_code="369902",
        category_code="040100",
        matter_type="accusation",
        accused="C_DISCIPLINE",
    )

    assert decide(directory, facts, shield=shield).triage


def test_two_unrelated_local_units_claiming_the_same_matter_is_a_conflict_for_triage() -> None:
    twin = Department(
        code="D01_BUILD",
        name="江城区建设局",
        level="district",
        kind="government",
        parent="C_GOV",
        regions=["369901"],
        categories=["140000"],
    )
    decision = decide(demo(twin), Facts(region_code="369901", category_code="140201"))

    assert decision.triage and decision.rule == "triage:conflict"


def test_other_matters_and_unknown_categories_go_to_triage_with_the_reason() -> None:
    other = decide(demo(), Facts(region_code="369900", category_code="990000"))
    unknown = decide(demo(), Facts(region_code="369900", category_code="180000"))

    assert other.triage and "分流" in other.reason
    assert unknown.triage and unknown.rule == "triage:no_rule"


def test_urgent_collective_or_leapfrog_matters_are_assigned_not_forwarded() -> None:
    decision = decide(demo(), Facts(region_code="369902", category_code="060101", important=True))

    assert decision.mode == "assign"


def test_objected_departments_are_avoided_when_re_routing() -> None:
    facts = Facts(region_code="369901003", category_code="140201")

    decision = decide(demo(), facts, avoid=frozenset({"D01_HOUSING"}))

    assert decision.lead is not None and decision.lead.code == "D01_GOV"


@pytest.mark.parametrize("level", ["district", "street"])
def test_every_demo_matter_outside_discipline_and_other_is_placed_without_triage(
    level: str,
) -> None:
    directory = demo()
    regions = [r.code for r in directory.regions.values() if r.level == level]
    categories = [c for c in directory.categories if c[:2] not in ("04", "99")]

    triaged = [
        (r, c)
        for r in regions
        for c in categories
        if decide(directory, Facts(region_code=r, category_code=c)).triage
    ]

    assert triaged == []
