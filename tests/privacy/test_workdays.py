"""Table-driven checks of the working-day calendar (chat_service/workdays.py).

Every expected date below was counted by hand on a printed calendar from the State Council
notice of 2025-11-04 on the 2026 holidays (config/holidays.toml quotes it), never by calling
the code under test. 2026 in brief: 元旦 1-3 Jan off, Sun 4 Jan works; 春节 15-23 Feb off,
Sat 14 Feb and Sat 28 Feb work; 清明 4-6 Apr; 劳动节 1-5 May off, Sat 9 May works; 端午 19-21 Jun;
中秋 25-27 Sep (Fri-Sun); 国庆 1-7 Oct off, Sun 20 Sep and Sat 10 Oct work. 2027 is
provisional: only 1 Jan, 1-2 May and 1-3 Oct are off.

Rule under test: the day of receipt (local, Asia/Shanghai) never counts; the deadline is the
end of the 15th working day after it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import assert_never

import pytest

from chat_service.errors import ConfigError
from chat_service.workdays import (
    DateOutsideHolidayTable,
    HolidayCalendar,
    load_holiday_calendar,
)

REPO = Path(__file__).resolve().parents[2]
# China Standard Time, UTC+8 all year (no daylight saving time since 1991). A fixed offset,
# so that the inputs do not depend on the zoneinfo lookup the code under test makes.
CST = timezone(timedelta(hours=8), "CST")
NEW_YORK_WINTER = timezone(timedelta(hours=-5), "EST")


def end_of_shanghai_day(day: date) -> datetime:
    """23:59:59.999999 at UTC+8 is 15:59:59.999999 UTC on the same date."""
    return datetime(day.year, day.month, day.day, 15, 59, 59, 999_999, tzinfo=UTC)


@dataclass(frozen=True)
class Deadline:
    """The shipped table: a request received at `received_at` is due at the end of `due_on`."""

    received_at: datetime
    due_on: date
    provisional_warning: bool = False


@dataclass(frozen=True)
class WorkingDay:
    day: date
    working: bool


@dataclass(frozen=True)
class DaysLeft:
    due_at: datetime
    now: datetime
    left: int


@dataclass(frozen=True)
class Refused:
    """The shipped table refuses a deadline whose counted days leave the table."""

    received_at: datetime
    message: str


@dataclass(frozen=True)
class BadConfig:
    """`holidays.toml` with this text (None: no file) is refused with this message ("": loads)."""

    text: str | None
    message: str


Case = Deadline | WorkingDay | DaysLeft | Refused | BadConfig

VALID = """\
timezone = "Asia/Shanghai"
deadline_working_days = 15

[years.2026]
provisional = false
source = "test"

[[years.2026.holidays]]
name = "国庆节"
days_off = [2026-10-01]
adjusted_working_days = [2026-10-10]
"""


def edited(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new)


CASES = [
    # ---------------------------------------------------------------- ordinary weeks
    pytest.param(
        # Tue 10 Nov: Wed 11 .. Tue 1 Dec is three full weeks, no holiday in between.
        Deadline(datetime(2026, 11, 10, 10, 0, tzinfo=CST), date(2026, 12, 1)),
        id="when_received_on_an_ordinary_tuesday_then_due_three_weeks_later_on_tuesday",
    ),
    pytest.param(
        # Mon 16 Nov 00:00:30: counting starts Tue 17 -> 15th working day Mon 7 Dec.
        Deadline(datetime(2026, 11, 16, 0, 0, 30, tzinfo=CST), date(2026, 12, 7)),
        id="when_received_just_after_midnight_then_the_day_of_receipt_still_does_not_count",
    ),
    pytest.param(
        Deadline(datetime(2026, 11, 16, 23, 59, tzinfo=CST), date(2026, 12, 7)),
        id="when_received_just_before_midnight_then_the_same_deadline_as_just_after_midnight",
    ),
    pytest.param(
        # Tue 1 Dec: Wed 2 .. Tue 22 Dec, all within 2026: no warning.
        Deadline(datetime(2026, 12, 1, 9, 0, tzinfo=CST), date(2026, 12, 22)),
        id="when_the_counted_days_stay_in_2026_then_due_on_tuesday_22_december_without_warning",
    ),
    # ------------------------------------------------ Friday evening, Saturday, Sunday
    pytest.param(
        # Fri 20 Nov: Mon 23 is day 1, Fri 27 day 5, Fri 4 Dec day 10, Fri 11 Dec day 15.
        Deadline(datetime(2026, 11, 20, 21, 30, tzinfo=CST), date(2026, 12, 11)),
        id="when_received_on_a_friday_evening_then_monday_is_day_one_and_due_friday_11_december",
    ),
    pytest.param(
        Deadline(datetime(2026, 11, 21, 10, 0, tzinfo=CST), date(2026, 12, 11)),
        id="when_received_on_a_saturday_then_monday_is_day_one_and_due_friday_11_december",
    ),
    pytest.param(
        Deadline(datetime(2026, 11, 22, 18, 0, tzinfo=CST), date(2026, 12, 11)),
        id="when_received_on_a_sunday_then_monday_is_day_one_and_due_friday_11_december",
    ),
    # -------------------------------------------- receipt date differs by time zone
    pytest.param(
        # Thu 19 Nov 20:30 UTC is Fri 20 Nov 04:30 in Shanghai: as the Friday case. Counting
        # from the UTC date would give Thu 10 Dec.
        Deadline(datetime(2026, 11, 19, 20, 30, tzinfo=UTC), date(2026, 12, 11)),
        id="when_received_late_thursday_utc_which_is_friday_in_shanghai_then_friday_counts_as_receipt",
    ),
    pytest.param(
        # Fri 20 Nov 10:00 in New York is 15:00 UTC, 23:00 Friday in Shanghai.
        Deadline(datetime(2026, 11, 20, 10, 0, tzinfo=NEW_YORK_WINTER), date(2026, 12, 11)),
        id="when_received_with_another_utc_offset_then_the_shanghai_day_of_receipt_is_used",
    ),
    # ------------------------------------------- 2026 Mid-Autumn + National Day holidays
    pytest.param(
        # Fri 18 Sep: Sun 20 (调休) 1, Mon 21-Thu 24 2-5, Fri 25-Sun 27 中秋 off, Mon 28-Wed 30
        # 6-8, 1-7 Oct 国庆 off, Thu 8 9, Fri 9 10, Sat 10 (调休) 11, Mon 12-Thu 15 12-15.
        Deadline(datetime(2026, 9, 18, 15, 0, tzinfo=CST), date(2026, 10, 15)),
        id="when_received_before_mid_autumn_and_golden_week_then_due_thursday_15_october",
    ),
    pytest.param(
        # Sat 19 Sep: the same count as from Friday, the adjusted Sunday 20 Sep is day 1.
        Deadline(datetime(2026, 9, 19, 11, 0, tzinfo=CST), date(2026, 10, 15)),
        id="when_received_the_saturday_before_an_adjusted_sunday_then_that_sunday_is_day_one",
    ),
    pytest.param(
        # Sun 20 Sep is a working day, but the day of receipt: Mon 21 is day 1, and the count
        # above shifts by one to Fri 16 Oct.
        Deadline(datetime(2026, 9, 20, 14, 0, tzinfo=CST), date(2026, 10, 16)),
        id="when_received_on_the_adjusted_working_sunday_then_it_does_not_count_as_day_one",
    ),
    pytest.param(
        # Wed 30 Sep: 1-7 Oct off, Thu 8 1, Fri 9 2, Sat 10 (调休) 3, 12-16 Oct 4-8,
        # 19-23 Oct 9-13, Mon 26 14, Tue 27 15.
        Deadline(datetime(2026, 9, 30, 11, 0, tzinfo=CST), date(2026, 10, 27)),
        id="when_received_the_day_before_golden_week_then_due_tuesday_27_october",
    ),
    pytest.param(
        Deadline(datetime(2026, 10, 3, 9, 0, tzinfo=CST), date(2026, 10, 27)),
        id="when_received_during_golden_week_then_counting_starts_on_thursday_8_october",
    ),
    # ------------------------------------------------------------- 2026 Spring Festival
    pytest.param(
        # Wed 11 Feb: Thu 12 1, Fri 13 2, Sat 14 (调休) 3, 15-23 Feb off, Tue 24-Fri 27 4-7,
        # Sat 28 (调休) 8, Mon 2-Fri 6 Mar 9-13, Mon 9 14, Tue 10 Mar 15.
        Deadline(datetime(2026, 2, 11, 10, 0, tzinfo=CST), date(2026, 3, 10)),
        id="when_received_before_spring_festival_then_adjusted_saturdays_count_and_due_10_march",
    ),
    pytest.param(
        # Fri 2 Jan (元旦, off): Sat 3 off, Sun 4 (调休) 1, 5-9 Jan 2-6, 12-16 7-11,
        # Mon 19-Thu 22 12-15.
        Deadline(datetime(2026, 1, 2, 10, 0, tzinfo=CST), date(2026, 1, 22)),
        id="when_received_on_new_years_holiday_then_the_adjusted_sunday_4_january_is_day_one",
    ),
    # ------------------------------------------------- provisional 2027, table limits
    pytest.param(
        # Mon 14 Dec: 15-18 Dec 1-4, 21-25 5-9, 28-31 10-13, Fri 1 Jan 2027 off (statutory),
        # Mon 4 Jan 14, Tue 5 Jan 15.
        Deadline(datetime(2026, 12, 14, 10, 0, tzinfo=CST), date(2027, 1, 5), True),
        id="when_the_count_crosses_into_provisional_2027_then_due_5_january_with_a_warning",
    ),
    pytest.param(
        # Thu 30 Sep 2027: Fri 1 Oct off (statutory), 4-8 Oct 1-5, 11-15 6-10, 18-22 11-15.
        Deadline(datetime(2027, 9, 30, 10, 0, tzinfo=CST), date(2027, 10, 22), True),
        id="when_received_in_provisional_2027_then_statutory_days_are_off_and_a_warning_logged",
    ),
    pytest.param(
        # Mon 20 Dec 2027: 21-24 1-4, 27-31 5-9, then 1 Jan 2028 is not in the table.
        Refused(datetime(2027, 12, 20, 10, 0, tzinfo=CST), "2028-01-01 is outside the holiday"),
        id="when_the_count_runs_past_the_last_year_of_the_table_then_it_is_refused",
    ),
    pytest.param(
        Refused(datetime(2025, 12, 10, 10, 0, tzinfo=CST), "2025-12-11 is outside the holiday"),
        id="when_the_count_starts_before_the_first_year_of_the_table_then_it_is_refused",
    ),
    # ------------------------------------------------------------------ is_working_day
    pytest.param(
        WorkingDay(date(2026, 9, 20), working=True),
        id="when_asked_about_sunday_20_september_2026_then_it_is_an_adjusted_working_day",
    ),
    pytest.param(
        WorkingDay(date(2026, 10, 10), working=True),
        id="when_asked_about_saturday_10_october_2026_then_it_is_an_adjusted_working_day",
    ),
    pytest.param(
        WorkingDay(date(2026, 10, 5), working=False),
        id="when_asked_about_monday_5_october_2026_then_it_is_a_national_day_holiday",
    ),
    pytest.param(
        WorkingDay(date(2026, 11, 26), working=True),
        id="when_asked_about_an_ordinary_thursday_then_it_is_a_working_day",
    ),
    pytest.param(
        WorkingDay(date(2026, 11, 28), working=False),
        id="when_asked_about_an_ordinary_saturday_then_it_is_not_a_working_day",
    ),
    # --------------------------------------------------------------- working_days_left
    pytest.param(
        # Due Tue 1 Dec; on Thu 26 Nov the working days after today are Fri 27, Mon 30, Tue 1.
        DaysLeft(end_of_shanghai_day(date(2026, 12, 1)), datetime(2026, 11, 26, 10, tzinfo=CST), 3),
        id="when_three_working_days_remain_after_today_then_three_are_left",
    ),
    pytest.param(
        DaysLeft(end_of_shanghai_day(date(2026, 12, 7)), datetime(2026, 12, 5, 10, tzinfo=CST), 1),
        id="when_due_monday_and_today_is_saturday_then_one_is_left",
    ),
    pytest.param(
        # Due Thu 15 Oct; on Wed 30 Sep: Thu 8, Fri 9, Sat 10 (调休), Mon 12-Thu 15.
        DaysLeft(end_of_shanghai_day(date(2026, 10, 15)), datetime(2026, 9, 30, 10, tzinfo=CST), 7),
        id="when_golden_week_lies_before_the_due_day_then_only_its_working_days_are_left",
    ),
    pytest.param(
        DaysLeft(end_of_shanghai_day(date(2026, 12, 1)), datetime(2026, 12, 1, 23, tzinfo=CST), 0),
        id="when_it_is_late_on_the_due_day_then_zero_are_left",
    ),
    pytest.param(
        # 30 Nov 16:30 UTC is already Tue 1 Dec 00:30 in Shanghai.
        DaysLeft(
            end_of_shanghai_day(date(2026, 12, 1)), datetime(2026, 11, 30, 16, 30, tzinfo=UTC), 0
        ),
        id="when_it_is_the_due_day_in_shanghai_but_the_day_before_in_utc_then_zero_are_left",
    ),
    pytest.param(
        DaysLeft(end_of_shanghai_day(date(2026, 12, 1)), datetime(2026, 12, 2, 9, tzinfo=CST), -1),
        id="when_the_first_working_day_after_the_due_day_has_begun_then_minus_one",
    ),
    pytest.param(
        # Due Fri 11 Dec; Saturday is already overdue, although no working day has passed.
        DaysLeft(
            end_of_shanghai_day(date(2026, 12, 11)), datetime(2026, 12, 12, 9, tzinfo=CST), -1
        ),
        id="when_due_friday_and_today_is_saturday_then_overdue_at_minus_one",
    ),
    pytest.param(
        # Due Fri 11 Dec; Mon 14 is the first overdue working day, Tue 15 the second.
        DaysLeft(
            end_of_shanghai_day(date(2026, 12, 11)), datetime(2026, 12, 15, 9, tzinfo=CST), -2
        ),
        id="when_due_friday_and_today_is_tuesday_then_overdue_at_minus_two",
    ),
    pytest.param(
        # A due_at read back from BSON has millisecond precision: 15:59:59.999 UTC.
        DaysLeft(
            datetime(2026, 12, 1, 15, 59, 59, 999_000, tzinfo=UTC),
            datetime(2026, 12, 1, 15, 59, 59, 999_500, tzinfo=UTC),
            -1,
        ),
        id="when_a_millisecond_due_at_has_just_passed_on_the_due_day_then_overdue_at_minus_one",
    ),
    # ------------------------------------------------------------------ config errors
    pytest.param(
        BadConfig(VALID, ""),
        id="when_the_minimal_table_is_valid_then_it_loads",
    ),
    pytest.param(
        BadConfig(VALID + "grace_days = 2\n", "grace_days"),
        id="when_the_table_has_an_unknown_key_then_loading_fails",
    ),
    pytest.param(
        BadConfig(edited('name = "国庆节"', 'name = "国庆节"\nnote = "x"'), "note"),
        id="when_a_holiday_has_an_unknown_key_then_loading_fails",
    ),
    pytest.param(
        BadConfig(
            edited("days_off = [2026-10-01]", "days_off = [2026-10-01, 2026-10-10]"),
            "both as day off and as working day",
        ),
        id="when_a_date_is_both_a_day_off_and_a_working_day_then_loading_fails",
    ),
    pytest.param(
        BadConfig(
            edited("adjusted_working_days = [2026-10-10]", "adjusted_working_days = [2026-10-09]"),
            "2026-10-09 is a Friday, not a weekend",
        ),
        id="when_an_adjusted_working_day_is_a_weekday_then_loading_fails",
    ),
    pytest.param(
        BadConfig(
            edited("days_off = [2026-10-01]", "days_off = [2027-10-01]"),
            "day off 2027-10-01 is not in 2026",
        ),
        id="when_a_day_off_is_not_in_its_year_then_loading_fails",
    ),
    pytest.param(
        BadConfig(
            edited("days_off = [2026-10-01]", "days_off = [2026-10-01, 2026-10-01]"),
            "listed twice",
        ),
        id="when_a_day_off_is_listed_twice_then_loading_fails",
    ),
    pytest.param(
        BadConfig(edited("days_off = [2026-10-01]", 'days_off = ["2026-10-01"]'), "valid date"),
        id="when_a_date_is_a_string_instead_of_a_toml_date_then_loading_fails",
    ),
    pytest.param(
        BadConfig(edited('"Asia/Shanghai"', '"Asia/Beijing"'), "not a known IANA time zone"),
        id="when_the_timezone_is_unknown_then_loading_fails",
    ),
    pytest.param(
        BadConfig(edited("deadline_working_days = 15\n", ""), "deadline_working_days"),
        id="when_the_number_of_working_days_is_missing_then_loading_fails",
    ),
    pytest.param(
        BadConfig(
            VALID + '[years.2028]\nprovisional = true\nsource = "x"\nholidays = []\n',
            "years must be consecutive: [2027] missing",
        ),
        id="when_a_year_is_missing_between_two_years_then_loading_fails",
    ),
    pytest.param(
        BadConfig(None, "configuration file missing"),
        id="when_the_table_file_is_missing_then_loading_fails",
    ),
]


@pytest.fixture(scope="module")
def calendar() -> HolidayCalendar:
    return load_holiday_calendar(REPO / "config")


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "chat_service.workdays" and record.levelno >= logging.WARNING
    ]


@pytest.mark.parametrize("case", CASES)
def test_when_a_case_of_the_table_is_computed_then_it_matches_the_hand_counted_result(
    case: Case, calendar: HolidayCalendar, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.WARNING, logger="chat_service.workdays")
    match case:
        case Deadline(received_at, due_on, provisional_warning):
            due_at = calendar.deletion_due_at(received_at)
            assert due_at == end_of_shanghai_day(due_on)
            assert due_at.utcoffset() == timedelta(0)
            assert calendar.add_working_days(received_at, 15) == due_at
            warnings = warnings_of(caplog)
            if provisional_warning:
                assert len(warnings) == 2  # one per computation above
                assert all("provisional" in text and "[2027]" in text for text in warnings)
            else:
                assert warnings == []
        case WorkingDay(day, working):
            assert calendar.is_working_day(day) is working
        case DaysLeft(due_at, now, left):
            assert calendar.working_days_left(due_at, now) == left
        case Refused(received_at, message):
            with pytest.raises(DateOutsideHolidayTable, match=message):
                calendar.deletion_due_at(received_at)
        case BadConfig(text, message):
            if text is not None:
                (tmp_path / "holidays.toml").write_text(text, encoding="utf-8")
            if not message:
                assert load_holiday_calendar(tmp_path).deadline_working_days == 15
                return
            with pytest.raises(ConfigError) as raised:
                load_holiday_calendar(tmp_path)
            assert message in str(raised.value)
        case _:
            assert_never(case)


def test_when_the_shipped_table_is_loaded_then_2026_is_official_and_2027_provisional(
    calendar: HolidayCalendar,
) -> None:
    assert calendar.timezone == "Asia/Shanghai"
    assert calendar.deadline_working_days == 15
    assert {year: spec.provisional for year, spec in calendar.years.items()} == {
        2026: False,
        2027: True,
    }


def test_when_a_datetime_is_naive_then_it_is_rejected(calendar: HolidayCalendar) -> None:
    naive = datetime(2026, 11, 26, 10, 0)  # noqa: DTZ001 - the naive input under test
    with pytest.raises(ValueError, match="aware"):
        calendar.deletion_due_at(naive)
    with pytest.raises(ValueError, match="aware"):
        calendar.working_days_left(naive, datetime(2026, 11, 26, tzinfo=UTC))
