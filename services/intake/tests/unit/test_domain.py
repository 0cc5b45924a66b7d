from datetime import UTC, datetime

from xinfang.intake import domain


def test_the_case_day_is_counted_in_china_time():
    late_evening_utc = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)  # 01:30 on 2 March in Beijing
    assert domain.case_day(late_evening_utc) == "20260302"


def test_a_case_number_shows_the_day_and_a_six_digit_serial():
    assert domain.case_number("20260302", 42) == "XF20260302000042"


def test_query_codes_are_random_and_avoid_characters_easily_misread():
    codes = {domain.new_query_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 10 and not set(c) & set("01IOL") for c in codes)


def test_a_query_code_is_accepted_in_lower_case_with_spaces_or_dashes():
    assert domain.normalise_query_code(" abcd-efgh 23 ") == "ABCDEFGH23"


def test_a_late_event_never_moves_a_case_back():
    assert domain.next_status("routed", "xinfang.petition.received.v1") == "routed"
    assert domain.next_status("registered", "xinfang.petition.routed.v1") == "routed"
    assert domain.next_status("routed", "xinfang.notice.delivered.v1") == "routed"
