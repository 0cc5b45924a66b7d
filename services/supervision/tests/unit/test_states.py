"""The case state machine: legal moves, early ones (retried) and impossible ones (dead letters)."""

from __future__ import annotations

import pytest

from xinfang.supervision.domain import CaseStatus, ImpossibleTransition, TooEarly, move
from xinfang.supervision.domain.states import ZH

S = CaseStatus


def test_the_machine_covers_the_fifteen_statuses_of_practice() -> None:
    assert len(S) == 15 and len(set(ZH.values())) == 15
    assert S.REVIEWING.zh == "受理申请审查中" and S.CONCLUDED.zh == "审核认定办结"


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (None, S.REVIEWING),
        (S.REVIEWING, S.ACCEPTED),
        (S.ACCEPTED, S.ANSWER_OVERDUE),
        (S.ANSWER_OVERDUE, S.ANSWERED),
        (S.ANSWERED, S.IN_REVIEW),
        (S.REVIEWED, S.RE_REVIEW_LAPSED),
        (S.RE_REVIEWED, S.CONCLUDED),
        (S.ACCEPTED, S.REVIEWING),  # returned after an objection
    ],
)
def test_a_legal_move_changes_the_status(current: CaseStatus | None, target: CaseStatus) -> None:
    assert move(current, target) is True


def test_staying_where_it_is_is_no_change() -> None:
    assert move(S.ACCEPTED, S.ACCEPTED) is False


@pytest.mark.parametrize(
    ("current", "target"),
    [(None, S.ACCEPTED), (S.REVIEWING, S.ANSWERED), (S.ANSWERED, S.REVIEWED)],
)
def test_a_move_further_down_the_way_is_too_early_not_impossible(
    current: CaseStatus | None, target: CaseStatus
) -> None:
    with pytest.raises(TooEarly):
        move(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.NOT_ACCEPTED, S.ACCEPTED),
        (S.ANSWERED, S.ACCEPTED),
        (S.CONCLUDED, S.IN_REVIEW),
        (S.REVIEW_LAPSED, S.IN_REVIEW),
    ],
)
def test_a_move_that_can_never_happen_is_impossible(
    current: CaseStatus, target: CaseStatus
) -> None:
    with pytest.raises(ImpossibleTransition, match="→"):
        move(current, target)
