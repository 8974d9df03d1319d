"""Reference formulas of the sales KPIs (domain.md §5.5) for tests and docs.

The cubes compute these as aggregates over the fact tables; these plain functions state the
definitions once, in a form a test can check against the worked examples (CRM-4, DSO).

Example::

    line_fill_rate([10, 5, 8, 2], [10, 3, 8, 2])   # 0.75
    dso(50_000, 200_000, 365)                      # 91.25
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["dso", "dso_countback", "line_fill_rate", "order_fill_rate", "unit_fill_rate"]


def _lines(ordered: Sequence[float], shipped: Sequence[float]) -> None:
    if len(ordered) != len(shipped) or not ordered:
        raise ValueError("ordered and shipped need the same, non-zero number of lines")


def line_fill_rate(ordered: Sequence[float], shipped: Sequence[float]) -> float:
    """Lines shipped complete (in the window) / lines ordered."""
    _lines(ordered, shipped)
    return sum(s >= o for o, s in zip(ordered, shipped, strict=True)) / len(ordered)


def unit_fill_rate(ordered: Sequence[float], shipped: Sequence[float]) -> float:
    """Units shipped (capped at the ordered quantity per line) / units ordered."""
    _lines(ordered, shipped)
    return sum(min(o, s) for o, s in zip(ordered, shipped, strict=True)) / sum(ordered)


def order_fill_rate(orders: Sequence[tuple[Sequence[float], Sequence[float]]]) -> float:
    """Orders with every line shipped complete / orders."""
    if not orders:
        raise ValueError("need at least one order")
    return sum(line_fill_rate(o, s) == 1.0 for o, s in orders) / len(orders)


def dso(receivables: float, credit_sales: float, days: int) -> float:
    """Days sales outstanding: AR balance / credit sales x days in the period."""
    if credit_sales <= 0 or days <= 0:
        raise ValueError("credit_sales and days must be > 0")
    return receivables / credit_sales * days


def dso_countback(receivables: float, periods: Sequence[tuple[float, int]]) -> float:
    """Countback DSO: consume the AR balance with each period's sales, newest period first.

    ``periods`` are ``(sales, days)`` pairs, newest first; a partly consumed period counts
    ``remaining / sales x days``. Example: ``dso_countback(300, [(150, 31), (120, 29),
    (100, 31)])`` = 31 + 29 + 0.3 x 31 = 69.3.
    """
    remaining, total = float(receivables), 0.0
    for sales, days in periods:
        if remaining <= 0:
            break
        if sales <= 0:
            total += days
            continue
        used = min(remaining, sales)
        total += used / sales * days
        remaining -= used
    if remaining > 1e-9:
        raise ValueError("the periods' sales do not cover the receivables")
    return total
