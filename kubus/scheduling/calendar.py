"""Factory calendars and working-day arithmetic, scalar and vectorised (numpy ``busday_*``).

A :class:`FactoryCalendar` names its working weekdays (0 = Monday ... 6 = Sunday) and its
holidays. Adding working days starts from the next working day when the start is not one
(``roll="forward"``); subtracting starts from the previous one (``roll="backward"``). The two are
adjoint: ``subtract_workdays(d, n)`` is the latest working day ``x`` with
``add_workdays(x, n) <= d``, which is what backward scheduling needs.

>>> cal = FactoryCalendar.monday_to_friday(holidays=[date(2024, 3, 29), date(2024, 4, 1)])
>>> cal.subtract_workdays(date(2024, 4, 2), 2)
datetime.date(2024, 3, 27)
>>> cal.add_workdays(date(2024, 3, 28), 1)
datetime.date(2024, 4, 2)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from kubus.scheduling.errors import CalendarError, InvalidDateError, InvalidParameterError

Days: TypeAlias = npt.NDArray[np.datetime64]
"""A vector of days, dtype ``datetime64[D]``."""

DAY = np.dtype("datetime64[D]")
MONDAY_TO_FRIDAY = frozenset(range(5))
MONDAY_TO_SATURDAY = frozenset(range(6))


def to_day(value: date, *, field: str = "date") -> np.datetime64:
    """A ``datetime.date`` as ``datetime64[D]``; anything else raises :class:`InvalidDateError`."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidDateError(
            f"{field} must be a date (YYYY-MM-DD), got {type(value).__name__}", field=field
        )
    return np.datetime64(value, "D")


def to_date(day: np.datetime64 | Days) -> date:
    """``numpy.datetime64[D]`` (or a 0-d array of it) back to ``datetime.date``."""
    value = np.asarray(day).astype(DAY).item()
    assert isinstance(value, date)
    return value


def days_array(values: Iterable[date] | npt.ArrayLike, *, field: str = "dates") -> Days:
    """Dates (``datetime.date``, ``datetime64`` or ISO strings) as a ``datetime64[D]`` vector."""
    array = np.asarray(values if not isinstance(values, set | frozenset) else sorted(values))
    if array.dtype.kind == "M":
        return array.astype(DAY)
    if array.size == 0:
        return np.empty(0, dtype=DAY)
    if array.dtype == object and all(
        isinstance(v, date) and not isinstance(v, datetime) for v in array.ravel()
    ):
        return array.astype(DAY)
    if array.dtype.kind == "U":  # ISO strings, as a database or JSON hands them over
        try:
            return array.astype(DAY)
        except ValueError:
            pass
    raise InvalidDateError(f"{field} must be dates, got dtype {array.dtype}", field=field)


def _check_count(n: int, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise InvalidParameterError(f"{what} must be a whole number >= 0, got {n!r}")
    return int(n)


@dataclass(frozen=True, slots=True)
class FactoryCalendar:
    """Working weekdays (0 = Monday) and holidays of a plant, shipping point or route."""

    workdays: frozenset[int] = MONDAY_TO_FRIDAY
    holidays: frozenset[date] = frozenset()
    _busdaycal: np.busdaycalendar = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        workdays = frozenset(self.workdays)
        bad = sorted(
            repr(d)
            for d in workdays
            if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6
        )
        if bad:
            raise CalendarError(
                f"workdays must be weekday numbers 0 (Monday) .. 6 (Sunday), got {', '.join(bad)}"
            )
        if not workdays:
            raise CalendarError("a factory calendar needs at least one working weekday")
        holidays = frozenset(self.holidays)
        holiday_days = np.sort(np.array([to_day(h, field="holiday") for h in holidays], DAY))
        object.__setattr__(self, "workdays", workdays)
        object.__setattr__(self, "holidays", holidays)
        weekmask = [d in workdays for d in range(7)]
        object.__setattr__(
            self, "_busdaycal", np.busdaycalendar(weekmask=weekmask, holidays=holiday_days)
        )

    @classmethod
    def monday_to_friday(cls, holidays: Iterable[date] = ()) -> FactoryCalendar:
        return cls(MONDAY_TO_FRIDAY, frozenset(holidays))

    @classmethod
    def monday_to_saturday(cls, holidays: Iterable[date] = ()) -> FactoryCalendar:
        return cls(MONDAY_TO_SATURDAY, frozenset(holidays))

    # -- scalar API: datetime.date in, datetime.date out -----------------------------------------

    def is_workday(self, day: date) -> bool:
        return bool(np.is_busday(to_day(day), busdaycal=self._busdaycal))

    def add_workdays(self, day: date, n: int) -> date:
        """``n`` working days after ``day`` (from the next working day if ``day`` is not one)."""
        return to_date(self.add_workdays_array(to_day(day), n))

    def subtract_workdays(self, day: date, n: int) -> date:
        """``n`` working days before ``day`` (from the previous working day if it is not one)."""
        return to_date(self.subtract_workdays_array(to_day(day), n))

    def next_workday(self, day: date) -> date:
        """``day`` itself if it is a working day, else the next working day."""
        return self.add_workdays(day, 0)

    def previous_workday(self, day: date) -> date:
        """``day`` itself if it is a working day, else the previous working day."""
        return self.subtract_workdays(day, 0)

    def count_workdays(self, start: date, end: date) -> int:
        """Working days in ``[start, end)`` (negative when ``end < start``)."""
        return int(np.busday_count(to_day(start), to_day(end), busdaycal=self._busdaycal))

    # -- vector API: datetime64[D] in and out ----------------------------------------------------

    def is_workday_array(self, days: Days | np.datetime64) -> npt.NDArray[np.bool_]:
        return np.asarray(np.is_busday(days, busdaycal=self._busdaycal))

    def add_workdays_array(
        self, days: Days | np.datetime64, n: int | npt.NDArray[np.int64]
    ) -> Days:
        """Vectorised :meth:`add_workdays`; ``n`` is a scalar or one count per day."""
        offsets = self._offsets(n)
        return np.asarray(
            np.busday_offset(days, offsets, roll="forward", busdaycal=self._busdaycal)
        )

    def subtract_workdays_array(
        self, days: Days | np.datetime64, n: int | npt.NDArray[np.int64]
    ) -> Days:
        """Vectorised :meth:`subtract_workdays`."""
        offsets = self._offsets(n)
        return np.asarray(
            np.busday_offset(days, -offsets, roll="backward", busdaycal=self._busdaycal)
        )

    @staticmethod
    def _offsets(n: int | npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        if isinstance(n, np.ndarray):
            if n.size and int(n.min()) < 0:
                raise InvalidParameterError("working-day counts must be >= 0")
            return n.astype(np.int64)
        return np.asarray(_check_count(n, "working-day count"), dtype=np.int64)
