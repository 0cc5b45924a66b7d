"""Every legal clock on real calendar edge cases, the expected dates worked out by hand.

2026 (国办发明电〔2025〕7号): 清明 4-04…4-06; 劳动节 5-01…5-05, work Sat 5-09; 端午 6-19…6-21;
国庆 10-01…10-07, work Sun 9-20 and Sat 10-10. 2027: unknown to the package; the sample notice
in reference/calendars/2027.json has 春节 2-06…2-14 and 国庆 10-01…10-07.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from xinfang.supervision import calendars, domain
from xinfang.supervision.domain import HENAN, NATIONAL, ZHEJIANG, DeadlineKind, Jurisdictions

D, K = date, DeadlineKind

CLOCKS = [
    # kind, profile, start, paused, extension, due, provisional
    pytest.param(
        K.HANDLING,
        NATIONAL,
        D(2026, 8, 2),
        0,
        0,
        D(2026, 10, 8),
        False,
        id="60 days ending on National Day move past the holiday",
    ),
    pytest.param(
        K.OBJECTION,
        NATIONAL,
        D(2026, 10, 8),
        0,
        0,
        D(2026, 10, 14),
        False,
        id="5 working days count the make-up Saturday 10-10",
    ),
    pytest.param(
        K.RE_REVIEW_DECISION,
        NATIONAL,
        D(2026, 3, 2),
        10,
        0,
        D(2026, 4, 13),
        False,
        id="re-review paused 10 days for a hearing ends Sat 4-11, moves to Monday",
    ),
    pytest.param(
        K.HANDLING,
        NATIONAL,
        D(2026, 3, 2),
        0,
        30,
        D(2026, 6, 5),
        False,
        id="60 days end 5-01 in May Day, moved to 5-06, then extended 30 days",
    ),
    pytest.param(
        K.HANDLING,
        ZHEJIANG,
        D(2026, 3, 2),
        0,
        0,
        D(2026, 4, 1),
        False,
        id="Zhejiang handles in 30 days",
    ),
    pytest.param(
        K.ROUTING,
        HENAN,
        D(2026, 9, 30),
        0,
        0,
        D(2026, 10, 8),
        False,
        id="Henan routes in 5 days, here past National Day",
    ),
    pytest.param(
        K.REPORT_BACK,
        HENAN,
        D(2026, 3, 2),
        0,
        0,
        D(2026, 6, 1),
        False,
        id="Henan assigned cases report in 90 days, Sunday 5-31 moves to Monday",
    ),
    pytest.param(
        K.REVIEW_REQUEST,
        NATIONAL,
        D(2026, 6, 1),
        0,
        0,
        D(2026, 7, 1),
        False,
        id="review may be asked for 30 days after the answer",
    ),
    pytest.param(
        K.HANDLING,
        NATIONAL,
        D(2026, 12, 10),
        0,
        0,
        D(2027, 2, 8),
        True,
        id="60 days into 2027 are provisional, counted on weekends alone",
    ),
]


@pytest.mark.parametrize(
    ("kind", "profile", "start", "paused", "extension", "due_on", "provisional"), CLOCKS
)
def test_each_legal_clock_ends_on_the_day_worked_out_by_hand(
    kind: DeadlineKind,
    profile: domain.Profile,
    start: date,
    paused: int,
    extension: int,
    due_on: date,
    provisional: bool,
) -> None:
    due = domain.schedule(
        kind, starts_on=start, profile=profile, paused_days=paused, extension_days=extension
    )
    assert (due.due_on, due.provisional) == (due_on, provisional)


def test_a_provisional_2027_deadline_is_recounted_once_the_years_notice_is_loaded(
    tmp_path: Path,
) -> None:
    shutil.copy(calendars.SAMPLE_DIR / "2027.json", tmp_path / "2027.json")
    loaded = calendars.load_dir(tmp_path)

    due = domain.schedule(K.HANDLING, starts_on=D(2026, 12, 10), calendar=loaded)

    assert (due.due_on, due.provisional) == (D(2027, 2, 15), False)
    assert "2027-02-08至02-14为法定节假日（春节）" in due.basis


def test_the_basis_tells_the_pause_and_the_extension() -> None:
    paused = domain.schedule(K.RE_REVIEW_DECISION, starts_on=D(2026, 3, 2), paused_days=10)
    extended = domain.schedule(K.HANDLING, starts_on=D(2026, 3, 2), extension_days=30)
    assert "中止计算10日（听证等）" in paused.basis
    assert "经批准延期30日（自原期限2026-05-06起算），至2026-06-05" in extended.basis
    assert "extended by 30 days from 2026-05-06 to 2026-06-05" in extended.basis


@pytest.mark.parametrize(
    ("region", "profile"),
    [("330102", "zhejiang"), ("410105", "henan"), ("369901", "national"), (None, "national")],
)
def test_the_locality_code_selects_the_jurisdiction_profile(
    region: str | None, profile: str
) -> None:
    assert Jurisdictions().profile_for(region).code == profile


def test_a_longer_prefix_overrides_the_province() -> None:
    jurisdictions = Jurisdictions(prefixes={"33": "zhejiang", "3301": "national"})
    assert jurisdictions.profile_for("330102").code == "national"


def test_a_calendar_file_with_a_date_outside_its_year_is_refused(tmp_path: Path) -> None:
    (tmp_path / "2028.json").write_text('{"year": 2028, "holidays": {"2029-01-01": null}}')
    with pytest.raises(ValueError, match="outside 2028"):
        calendars.load_dir(tmp_path)
