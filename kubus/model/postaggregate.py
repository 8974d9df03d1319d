"""Post-aggregation ("calculated") aggregates: moving windows over result rows (§3.6).

An aggregate whose ``function`` is one of :data:`POST_AGGREGATE_FUNCTIONS` is not computed in
SQL: its ``measure`` names another aggregate (the *source*), and after the query has run each
result row gets ``f(window)``, the window being the last ``window_size`` non-null source
values seen, in result order, among rows with the same window key. 1.1 answered every such
request with a 500 (defect 12); this is its intended algorithm (``cubes/statutils.py``).

>>> rows = [{"month": m, "amount_sum": v} for m, v in enumerate([10, 20, 60], 1)]
>>> apply_post_aggregates(rows, [PostAggregateSpec("amount_sma", "sma", "amount_sum", 2)], [])
>>> [row["amount_sma"] for row in rows]
[10.0, 15.0, 40.0]
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubus.model.errors import ArgumentError, ModelError

__all__ = [
    "POST_AGGREGATE_FUNCTIONS",
    "WINDOW_FUNCTIONS",
    "PostAggregateSpec",
    "apply_post_aggregates",
    "window_size_for",
]


def _floats(values: Sequence[Any]) -> list[float]:
    # Sources may be Decimal (PostgreSQL numeric); 1.1 mixed them with floats and crashed.
    return [float(v) for v in values]


def _sma(values: Sequence[Any]) -> float:
    return round(statistics.fmean(_floats(values)), 2)


def _wma(values: Sequence[Any]) -> float:
    # Weights 1..n from the oldest to the newest value, normalised by their sum n(n+1)/2.
    n = len(values)
    total = sum(i * v for i, v in enumerate(_floats(values), start=1))
    return round(total / (n * (n + 1) / 2), 4)


def _sms(values: Sequence[Any]) -> Any:
    # Unrounded and in the source's own type (int stays int, Decimal stays exact), as in 1.1.
    return sum(values)


# The sample statistics need two values. 1.1 returned 0 for a single value; we return None
# (JSON null) like statistics.stdev, which raises, and like SQL's stddev_samp/var_samp, so a
# moving stddev agrees with the ``stddev`` aggregate. No client depends on 1.1's value: every
# request with a post-aggregate failed there.

def _smstd(values: Sequence[Any]) -> float | None:
    return round(statistics.stdev(_floats(values)), 2) if len(values) > 1 else None


def _smvar(values: Sequence[Any]) -> float | None:
    return round(statistics.variance(_floats(values)), 2) if len(values) > 1 else None


def _smrsd(values: Sequence[Any]) -> float | None:
    """Relative standard deviation: stddev / mean, 0 when the mean is not positive."""
    if len(values) < 2:
        return None
    data = _floats(values)
    mean = statistics.fmean(data)
    return round(statistics.stdev(data) / mean, 4) if mean > 0 else 0.0


#: The window function of each post-aggregation function, applied to the window's values.
WINDOW_FUNCTIONS: Mapping[str, Callable[[Sequence[Any]], Any]] = {
    "wma": _wma, "sma": _sma, "sms": _sms, "smstd": _smstd, "smrsd": _smrsd, "smvar": _smvar,
}
POST_AGGREGATE_FUNCTIONS = frozenset(WINDOW_FUNCTIONS)


@dataclass(frozen=True)
class PostAggregateSpec:
    """Compute ``name`` = ``function`` over a moving window of ``source`` values."""

    name: str  # the target key in each row (the aggregate's ref)
    function: str  # one of POST_AGGREGATE_FUNCTIONS
    source: str  # the source aggregate's key in each row
    window_size: int

    def __post_init__(self) -> None:
        if self.function not in WINDOW_FUNCTIONS:
            raise ArgumentError(f"Unknown post-aggregation function '{self.function}' for "
                                f"aggregate '{self.name}'")
        _check_window_size(self.window_size, self.name)


def _check_window_size(size: object, owner: str) -> int:
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ModelError(f"Window size of '{owner}' must be an integer >= 1, got {size!r}")
    return size


def window_size_for(aggregate_window_size: int | None,
                    level_info: Mapping[str, Any] | None) -> int:
    """The window size: the aggregate's ``window_size``, else the ``aggregation_units`` in the
    ``info`` of the drilled-down level, else 1. Raise :class:`ModelError` for a size that is
    not an integer >= 1.

    >>> window_size_for(None, {"aggregation_units": 3}), window_size_for(None, None)
    (3, 1)
    """
    if aggregate_window_size is not None:
        return _check_window_size(aggregate_window_size, "aggregate")
    units = (level_info or {}).get("aggregation_units")
    return 1 if units is None else _check_window_size(units, "level info aggregation_units")


def apply_post_aggregates(rows: list[dict[str, Any]], specs: Sequence[PostAggregateSpec],
                          key_refs: Sequence[str]) -> None:
    """Set each spec's target in every row of ``rows`` (mutated, in result order).

    Each spec keeps one window per window key, the tuple of the rows' values of ``key_refs``
    (``__within_split__`` and the keys of drilldown levels without ``aggregation_units``). A
    row's non-null source value is appended to its window (the oldest value drops out once
    the window is full), then the target is set to the function of the window, or to None
    while the window is still empty. Specs are applied in order within a row, so a spec may
    use the target of an earlier one as its source. For the summary, call it with the summary
    row and no key refs.
    """
    windows: list[dict[tuple[Any, ...], deque[Any]]] = [{} for _ in specs]
    for row in rows:
        key = tuple(row.get(ref) for ref in key_refs)
        for spec, by_key in zip(specs, windows, strict=True):
            window = by_key.get(key)
            if window is None:
                window = by_key[key] = deque(maxlen=spec.window_size)
            value = row.get(spec.source)
            if value is not None:
                window.append(value)
            row[spec.name] = WINDOW_FUNCTIONS[spec.function](window) if window else None
