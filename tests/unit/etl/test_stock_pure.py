"""BW-6 (non-cumulative stock from a marker) and BW-5 (compression) in plain Python."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kubus.etl.stock import (
    Movement,
    average_of_period_ends,
    compress_requests,
    day_weighted_average,
    flows,
    stock_at,
)

D = Decimal
BW6 = [Movement(date(2024, 1, 10), D(300)), Movement(date(2024, 1, 20), outflow=D(200)),
       Movement(date(2024, 2, 15), outflow=D(150)),
       Movement(date(2024, 3, 5), D(400)), Movement(date(2024, 3, 25), outflow=D(200))]
MARKER = D(1000) + sum((m.inflow - m.outflow for m in BW6), D(0))


def test_bw6() -> None:
    assert MARKER == 1150
    end_feb = stock_at(MARKER, BW6, date(2024, 2, 29))
    end_jan = stock_at(MARKER, BW6, date(2024, 1, 31))
    start_jan = stock_at(MARKER, BW6, date(2023, 12, 31))
    assert (end_feb, end_jan, start_jan) == (950, 1100, 1000)
    assert stock_at(MARKER, BW6, date(2024, 3, 31)) == 1150          # Q1 with LAST
    assert flows(BW6, date(2024, 1, 1), date(2024, 3, 31)) == (700, 550)
    assert round(average_of_period_ends([end_jan, end_feb, D(1150)]), 2) == D("1066.67")
    # Day-weighted: 9x1000 + 10x1300 + 12x1100 + 14x1100 + 15x950 + 4x950 + 20x1350 + 7x1150.
    got = day_weighted_average(MARKER, BW6, date(2024, 1, 1), date(2024, 3, 31))
    assert round(got, 2) == round(D(103700) / 91, 2)


def test_bw5_compression() -> None:
    rows = [(("C1", "M1", "2024-03"), 1, D(10)), (("C1", "M1", "2024-03"), 2, D(5)),
            (("C1", "M1", "2024-03"), 3, D(-15)), (("C2", "M1", "2024-03"), 3, D(4))]
    assert compress_requests(rows) == {("C1", "M1", "2024-03"): 0, ("C2", "M1", "2024-03"): 4}
    assert compress_requests(rows, zero_elimination=True) == {("C2", "M1", "2024-03"): 4}


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="after"):
        day_weighted_average(MARKER, BW6, date(2024, 2, 1), date(2024, 1, 1))
    with pytest.raises(ValueError, match="at least one"):
        average_of_period_ends([])
