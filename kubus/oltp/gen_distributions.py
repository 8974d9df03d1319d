"""Random distributions of the OLTP demo generator: seasonality, Zipf popularity, sizes.

Everything here is pure numpy over arrays and knows nothing about tables. One
``numpy.random.Generator`` is passed in, and each function draws from it in a fixed order, so a
seed always gives the same arrays (see :mod:`kubus.oltp.generator`).

Dates are ``numpy.datetime64[D]``; day numbers are ``int64`` days since 1970-01-01, which keeps
date arithmetic plain integer arithmetic.

Example::

    rng = np.random.Generator(np.random.PCG64(42))
    days = order_days(rng, np.datetime64("2024-01-01"), np.datetime64("2025-12-31"), 1000)
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "MONTH_WEIGHTS",
    "WEEKDAY_WEIGHTS",
    "add_workdays",
    "cdf",
    "day_weights",
    "items_per_order",
    "number_within",
    "or_none",
    "order_days",
    "pick",
    "sample",
    "to_days",
    "zipf_cdf",
]

# Order intake per calendar month (Q4 peak) and per ISO weekday (B2B: quiet weekends).
MONTH_WEIGHTS = (0.80, 0.85, 0.95, 1.00, 1.00, 0.95, 0.85, 0.80, 1.00, 1.10, 1.30, 1.45)
WEEKDAY_WEIGHTS = (1.15, 1.10, 1.05, 1.05, 1.00, 0.25, 0.10)  # Monday .. Sunday
YEARLY_GROWTH = 1.08
# Items per order 1..10: a truncated geometric shape, mean ≈ 3.7.
ITEMS_WEIGHTS = (0.22, 0.18, 0.15, 0.12, 0.10, 0.08, 0.06, 0.04, 0.03, 0.02)

_EPOCH = np.datetime64("1970-01-01", "D")


def to_days(dates: np.ndarray | np.datetime64) -> np.ndarray:
    """Day numbers (int64, days since 1970-01-01) of ``datetime64`` values."""
    return np.asarray((np.asarray(dates, dtype="datetime64[D]") - _EPOCH).astype(np.int64))


def cdf(weights: np.ndarray) -> np.ndarray:
    """The cumulative distribution of non-negative ``weights`` (last value exactly 1.0)."""
    out = np.cumsum(np.asarray(weights, dtype=np.float64))
    out /= out[-1]
    out[-1] = 1.0  # every uniform draw in [0, 1) must land inside the range
    return out


def zipf_cdf(rng: np.random.Generator, members: int, exponent: float) -> np.ndarray:
    """Power-law popularity ``1/rank**exponent`` with the ranks dealt to members at random."""
    ranks = rng.permutation(members) + 1
    return cdf(1.0 / ranks.astype(np.float64) ** exponent)


def sample(rng: np.random.Generator, distribution: np.ndarray, n: int) -> np.ndarray:
    """``n`` member indexes (int64) drawn from the cumulative ``distribution``."""
    return np.searchsorted(distribution, rng.random(n), side="right").astype(np.int64)


def day_weights(first: np.datetime64, last: np.datetime64) -> np.ndarray:
    """Relative order intake of each day in ``[first, last]``: month x weekday x growth."""
    days = np.arange(first, last + np.timedelta64(1, "D"), dtype="datetime64[D]")
    months = days.astype("datetime64[M]").astype(np.int64) % 12
    weekday = (to_days(days) + 3) % 7  # 1970-01-01 was a Thursday (ISO weekday index 3)
    years = (to_days(days) - to_days(first)) / 365.25
    return np.asarray(np.asarray(MONTH_WEIGHTS)[months] * np.asarray(WEEKDAY_WEIGHTS)[weekday]
                      * YEARLY_GROWTH ** years)


def order_days(rng: np.random.Generator, first: np.datetime64, last: np.datetime64,
               orders: int) -> np.ndarray:
    """Sorted order dates (day numbers) of ``orders`` orders with seasonal intake."""
    weights = day_weights(first, last)
    per_day = rng.multinomial(orders, weights / weights.sum())
    return np.repeat(np.arange(int(to_days(first)), int(to_days(last)) + 1, dtype=np.int64),
                     per_day)


def items_per_order(rng: np.random.Generator, lines: int) -> np.ndarray:
    """Item counts (1..10) of consecutive orders that add up to exactly ``lines`` items."""
    if lines <= 0:
        return np.zeros(0, dtype=np.int64)
    mean = float(np.dot(np.arange(1, len(ITEMS_WEIGHTS) + 1), ITEMS_WEIGHTS))
    # Draw a comfortable surplus once (deterministic), then cut at the order that reaches lines.
    draws = sample(rng, cdf(np.asarray(ITEMS_WEIGHTS)), int(lines / mean * 1.2) + 16) + 1
    ends = np.cumsum(draws)
    if ends[-1] < lines:  # 1.2x the mean is > 40 standard deviations for any real size
        draws = np.concatenate([draws, np.full(lines, 1, dtype=np.int64)])
        ends = np.cumsum(draws)
    orders = int(np.searchsorted(ends, lines, side="left")) + 1
    counts = draws[:orders].copy()
    counts[-1] -= int(ends[orders - 1] - lines)
    return counts


def add_workdays(days: np.ndarray, offset: np.ndarray | int, *, weekmask: str,
                 holidays: np.ndarray, roll: str = "forward") -> np.ndarray:
    """Day numbers ``offset`` working days after (before, if negative) each of ``days``.

    A day that is not a working day first rolls to the next (``roll="forward"``) or previous
    (``"backward"``) working day, as SAP's factory calendar does.
    """
    dates = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    moved = np.busday_offset(dates, offset, roll=roll,  # type: ignore[call-overload]
                             weekmask=weekmask, holidays=holidays)
    return to_days(moved)


def number_within(group: np.ndarray) -> np.ndarray:
    """1, 2, ... within each run of equal consecutive values of ``group``."""
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    counts = np.diff(np.append(starts, len(group)))
    return np.arange(len(group)) - np.repeat(starts, counts) + 1


def pick(values: np.ndarray, index: np.ndarray, default: object) -> np.ndarray:
    """``values[index]`` where ``index >= 0``, else ``default`` (also when ``values`` is empty)."""
    index = np.asarray(index)
    if len(values) == 0:
        return np.full(index.shape, default, dtype=object if default is None else None)
    return np.asarray(np.where(index >= 0, np.asarray(values)[np.maximum(index, 0)],
                               default))  # type: ignore[call-overload]


def or_none(keep: np.ndarray, values: np.ndarray | object) -> np.ndarray:
    """An object array of ``values`` where ``keep``, ``None`` elsewhere (a nullable column)."""
    out = np.empty(len(keep), dtype=object)
    out[:] = np.broadcast_to(np.asarray(values, dtype=object), (len(keep),))
    out[~np.asarray(keep, dtype=bool)] = None
    return out
