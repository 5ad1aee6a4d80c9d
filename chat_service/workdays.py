"""Working days in mainland China, for privacy deadlines (policy 7.2.1, `due_at` in CONTRACT 4).

`config/holidays.toml` holds, per year, the days off and the adjusted working days (调休上班) of
the State Council notice. A working day is Monday to Friday unless it is a day off, or a weekend
day that the notice makes a working day. Dates outside the table's years are refused
(`DateOutsideHolidayTable`), never assumed to be ordinary weeks, and a deadline that counts days
of a year marked `provisional` is logged as a WARNING.

The deadline rule (`add_working_days`), after the Civil Code of the PRC, articles 201 and 203:
a period counted in days starts on the day after the event and ends at 24:00 of its last day.
So the day of receipt never counts, whatever the time of receipt and whether or not it is a
working day: counting starts on the next calendar day, only working days are counted, and the
deadline is the end (23:59:59.999999, local time) of the Nth working day. A request received
at 00:01 and one received at 23:59 of the same local day have the same deadline; one received
on a Friday evening, a Saturday or a Sunday all count Monday (if it is a working day) as day 1.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    Strict,
    ValidationError,
    model_validator,
)

from chat_service.errors import ConfigError
from chat_service.tomlfile import load_toml

logger = logging.getLogger(__name__)

HOLIDAYS_FILE = "holidays.toml"
_SATURDAY = 5  # date.weekday(): Monday is 0, Saturday 5, Sunday 6
_ONE_DAY = timedelta(days=1)

# A TOML local date. Strict: a string or a datetime in the file is an error, not coerced.
TableDate = Annotated[date, Strict()]


class DateOutsideHolidayTable(ConfigError):
    """A working-day question about a date in a year the holiday table does not cover."""


def _is_weekend(day: date) -> bool:
    return day.weekday() >= _SATURDAY


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value.isoformat()}")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HolidayPeriod(_Frozen):
    """One numbered item of a notice: a holiday's days off and its adjusted working days."""

    name: str = Field(min_length=1)
    days_off: tuple[TableDate, ...] = Field(min_length=1)
    adjusted_working_days: tuple[TableDate, ...]


class HolidayYear(_Frozen):
    # True while the year is not the official notice (only the statutory fixed dates).
    provisional: bool
    source: str = Field(min_length=1)
    holidays: tuple[HolidayPeriod, ...]


class HolidayCalendar(_Frozen):
    """`config/holidays.toml`, validated; answers working-day questions in `timezone`."""

    timezone: str = Field(min_length=1)
    deadline_working_days: int = Field(gt=0)
    years: dict[int, HolidayYear] = Field(min_length=1)

    _zone: ZoneInfo = PrivateAttr()
    _days_off: frozenset[date] = PrivateAttr()
    _adjusted_working_days: frozenset[date] = PrivateAttr()

    @model_validator(mode="after")
    def _consistent(self) -> HolidayCalendar:
        try:
            self._zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"timezone {self.timezone!r} is not a known IANA time zone") from exc
        first, last = min(self.years), max(self.years)
        missing = sorted(set(range(first, last + 1)) - set(self.years))
        if missing:
            raise ValueError(f"years must be consecutive: {missing} missing")
        days_off: set[date] = set()
        working: set[date] = set()
        for year, spec in sorted(self.years.items()):
            for period in spec.holidays:
                where = f"{year} {period.name!r}"
                for day in period.days_off:
                    if day.year != year:
                        raise ValueError(f"{where}: day off {day} is not in {year}")
                    if day in days_off:
                        raise ValueError(f"{where}: day off {day} is listed twice")
                    days_off.add(day)
                for day in period.adjusted_working_days:
                    if day.year != year:
                        raise ValueError(f"{where}: adjusted working day {day} is not in {year}")
                    if not _is_weekend(day):
                        raise ValueError(
                            f"{where}: adjusted working day {day} is a {day:%A}, not a weekend"
                        )
                    if day in working:
                        raise ValueError(f"{where}: adjusted working day {day} is listed twice")
                    working.add(day)
        both = sorted(days_off & working)
        if both:
            raise ValueError(f"dates listed both as day off and as working day: {both}")
        self._days_off = frozenset(days_off)
        self._adjusted_working_days = frozenset(working)
        return self

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    @property
    def first_year(self) -> int:
        return min(self.years)

    @property
    def last_year(self) -> int:
        return max(self.years)

    def _covered(self, day: date) -> HolidayYear:
        spec = self.years.get(day.year)
        if spec is None:
            raise DateOutsideHolidayTable(
                f"{day} is outside the holiday table ({self.first_year}-{self.last_year}): "
                f"add that year's State Council notice to config/{HOLIDAYS_FILE}"
            )
        return spec

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday unless a day off; a weekend day only if an adjusted working day."""
        self._covered(day)
        if day in self._adjusted_working_days:
            return True
        if day in self._days_off:
            return False
        return not _is_weekend(day)

    def _working_days_between(self, after: date, up_to: date) -> int:
        """Working days d with after < d <= up_to."""
        count = 0
        day = after + _ONE_DAY
        while day <= up_to:
            if self.is_working_day(day):
                count += 1
            day += _ONE_DAY
        return count

    def local_date(self, moment: datetime) -> date:
        """The calendar day `moment` falls on in the table's time zone."""
        _require_aware("moment", moment)
        return moment.astimezone(self._zone).date()

    def add_working_days(self, received_at: datetime, days: int) -> datetime:
        """The end of the `days`-th working day after the local day of `received_at`, in UTC.

        The day of receipt does not count (see the module docstring); the result is
        23:59:59.999999 local time on the last counted day, as an aware UTC datetime. Raises
        `DateOutsideHolidayTable` when a counted day is outside the table, and logs a WARNING
        when a counted day is in a provisional year.
        """
        _require_aware("received_at", received_at)
        if days < 1:
            raise ValueError(f"days must be at least 1, got {days}")
        received_on = self.local_date(received_at)
        day = received_on
        counted = 0
        provisional: set[int] = set()
        while counted < days:
            day += _ONE_DAY
            if self._covered(day).provisional:
                provisional.add(day.year)
            if self.is_working_day(day):
                counted += 1
        due_at = datetime.combine(day, time.max, tzinfo=self._zone).astimezone(UTC)
        if provisional:
            logger.warning(
                "deadline %s counts days of provisional holiday year(s) %s: replace them with "
                "the State Council notice in config/%s",
                due_at.isoformat(),
                sorted(provisional),
                HOLIDAYS_FILE,
                extra={
                    "received_at": received_at.isoformat(),
                    "due_at": due_at.isoformat(),
                    "provisional_years": sorted(provisional),
                },
            )
        return due_at

    def deletion_due_at(self, received_at: datetime) -> datetime:
        """`due_at` of a deletion request: `deadline_working_days` (15) working days."""
        return self.add_working_days(received_at, self.deadline_working_days)

    def working_days_left(self, due_at: datetime, now: datetime) -> int:
        """Working days left before `due_at`, as of `now`; negative once it has passed.

        Not overdue (now <= due_at): the working days after today (local) up to and including
        the due day, so 0 on the due day itself and 1 on the working day before.
        Overdue (now > due_at): -1 from the moment the deadline passes until the end of the
        first working day after the due day, then one less for each further working day
        (due on a Friday: -1 on Saturday, Sunday and Monday, -2 on Tuesday).
        Comparing instants, not days, keeps this right for a `due_at` stored with millisecond
        precision (BSON dates: 23:59:59.999).
        """
        _require_aware("due_at", due_at)
        _require_aware("now", now)
        due_on, today = self.local_date(due_at), self.local_date(now)
        if now <= due_at:
            return self._working_days_between(today, due_on)
        return -(1 + self._working_days_between(due_on, today - _ONE_DAY))


def load_holiday_calendar(config_dir: Path) -> HolidayCalendar:
    """Read and validate `config_dir/holidays.toml`; any problem is a `ConfigError`."""
    path = config_dir / HOLIDAYS_FILE
    try:
        return HolidayCalendar.model_validate(load_toml(path))
    except ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
