"""The pure rules: ID check digits, Chinese text similarity, levels, refusals, the rate limiter."""

from datetime import UTC, datetime, timedelta

import pytest

from xinfang.common.clock import ManualClock
from xinfang.intake.domain import advance
from xinfang.intake.domain.detection import (
    EarlierCase,
    leapfrog_finding,
    shingles,
    signature,
    similarity,
)
from xinfang.intake.domain.identity import check_digit, resident_id_problem
from xinfang.intake.domain.refusals import refusal_for
from xinfang.intake.ratelimit import RateLimiter


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("11010519491231002X", True),  # the standard's own example
        ("11010519491231002x", True),
        ("110105194912310021", False),  # wrong check digit
        ("110105194902300021", False),  # 30 February
        ("11010519491231002", False),  # 17 characters
    ],
)
def test_an_18_digit_resident_id_needs_its_gb_11643_check_digit(number, ok):
    assert (resident_id_problem(number) is None) is ok


def test_the_check_digit_can_be_ten_written_x():
    assert check_digit("11010519491231002") == "X"


def test_chinese_text_is_compared_on_character_trigrams_ignoring_punctuation():
    assert shingles("拖欠，工资！") == {"拖欠工", "欠工资"}
    a = signature("某公司拖欠三个月工资未发放，请求督促支付。")
    b = signature("某公司拖欠了三个月工资一直未发放，请求督促支付！")
    c = signature("小区夜间施工噪音扰民，请求依法处理。")
    assert similarity(a, b) > 0.5 > similarity(a, c)


@pytest.mark.parametrize(
    ("office", "locality", "leapfrog"),
    [("city", "street", True), ("city", "district", False), ("district", "street", False)],
)
def test_leapfrog_means_more_than_one_level_above_the_locality(office, locality, leapfrog):
    found = leapfrog_finding(office_level=office, locality_level=locality)
    assert (found is not None) is leapfrog


def _earlier(**kw) -> EarlierCase:
    fields = {
        "case_no": "XF1",
        "text": "",
        "received_at": datetime(2026, 1, 1, tzinfo=UTC),
        "office_level": "district",
        "finalised": False,
        "closed": False,
    }
    return EarlierCase(**(fields | kw))


def test_finality_outweighs_a_matter_being_handled_and_court_matters_outweigh_both():
    both = [_earlier(), _earlier(case_no="XF2", finalised=True, closed=True)]
    assert refusal_for(matches=both, office_level="city", court_related=False).kind == (
        "not_reaccepted"
    )
    assert refusal_for(matches=both, office_level="city", court_related=True).kind == "redirected"


def test_a_matter_brought_again_at_the_same_level_or_after_it_closed_is_not_refused():
    assert refusal_for(matches=[_earlier()], office_level="district", court_related=False) is None
    closed = [_earlier(closed=True)]
    assert refusal_for(matches=closed, office_level="city", court_related=False) is None


def test_a_supervision_status_stands_until_a_later_stage():
    assert advance("受理", "受理", "routed") == ("受理", "受理")
    assert advance("受理", "受理", "answered") == ("answered", None)
    assert advance("answered", None, "accepted") == ("answered", None)


def test_the_limiter_blocks_a_client_for_a_minute_after_so_many_hits():
    clock = ManualClock()
    limiter = RateLimiter(per_minute=3, clock=clock)
    blocked = []
    for _ in range(3):
        blocked.append(limiter.blocked("a"))
        limiter.record("a")
    assert blocked == [False, False, False]
    assert limiter.blocked("a")
    assert not limiter.blocked("b")
    clock.advance(timedelta(seconds=60))
    assert not limiter.blocked("a")


def test_review_is_refused_for_the_first_reason_that_applies():
    from xinfang.intake.domain.petitioner import review_refusal

    answered = datetime(2026, 3, 2, tzinfo=UTC)
    window = timedelta(days=30)

    def refusal(**changes):
        case = {
            "answer_stage": "handling",
            "answered_at": answered,
            "finalised": False,
            "now": answered + window,
            "window": window,
        }
        return review_refusal(**(case | changes))

    assert refusal() is None  # the 30th day is still inside the window
    assert refusal(now=answered + window + timedelta(seconds=1)) == "review_window_closed"
    assert refusal(already_requested=True) == "review_already_requested"
    assert refusal(answer_stage="re_review") == "no_further_review"
    assert refusal(finalised=True) == "no_further_review"
    assert refusal(answered_at=None, answer_stage=None) == "not_answered"


def test_a_case_is_rated_after_its_answer_and_only_once():
    from xinfang.intake.domain.petitioner import rating_refusal

    answered = datetime(2026, 3, 2, tzinfo=UTC)
    assert rating_refusal(answered_at=None, rating=None) == "not_answered"
    assert rating_refusal(answered_at=answered, rating="satisfied") == "already_rated"
    assert rating_refusal(answered_at=answered, rating=None) is None
