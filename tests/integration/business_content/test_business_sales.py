"""The ``sales`` cube: order value, average order value, fill rates (CRM-4), time hierarchies.

Expected values: the CRM-4 worked example of domain.md §5.5 (line 75%, unit 92%, order 0%), and
for the rest a plain-Python recomputation of the inserted order lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable
from datetime import date
from decimal import Decimal

import pytest
from business_data import SALES_LINES, Line, Slicer

pytest_plugins = ["business_support"]

CRM4_CUSTOMER = r"customer:EMEA,DE,G\-000001"  # the CRM-4 order is customer 1's only order


def active(lines: list[Line]) -> list[Line]:
    return [x for x in lines if not x.rejected]


def test_crm4_fill_rates(bc: Slicer) -> None:
    summary = bc.summary("sales", cut=CRM4_CUSTOMER)
    assert summary["line_fill_rate"] == pytest.approx(0.75)
    assert round(summary["unit_fill_rate"], 2) == 0.92
    assert summary["unit_fill_rate"] == pytest.approx(23 / 25)
    assert summary["order_fill_rate"] == 0
    assert summary["orders"] == 1 and summary["order_lines"] == 4


def test_order_value_and_average_order_value(bc: Slicer) -> None:
    lines = active(SALES_LINES)
    value = sum(x.net_value for x in lines)
    orders = len({x.order_id for x in SALES_LINES})
    summary = bc.summary("sales")
    assert summary["order_value"] == pytest.approx(float(value))
    assert summary["orders"] == orders
    assert summary["average_order_value"] == pytest.approx(float(value / orders), abs=1e-6)
    assert summary["rejected_lines"] == 1
    # The rejected line of order 4712 is in no quantity and no value.
    assert summary["ordered_qty"] == sum(x.quantity for x in lines)


def test_fill_rates_of_the_whole_cube(bc: Slicer) -> None:
    lines = active(SALES_LINES)
    by_order: dict[int, list[Line]] = defaultdict(list)
    for x in SALES_LINES:
        by_order[x.order_id].append(x)
    complete = [all(x.rejected or x.delivered >= x.quantity for x in ls)
                for ls in by_order.values()]
    shipped_value = sum(x.net_value * min(x.delivered, x.quantity) / x.quantity for x in lines)
    summary = bc.summary("sales")
    assert summary["line_fill_rate"] == pytest.approx(
        sum(x.delivered >= x.quantity for x in lines) / len(lines))
    assert summary["unit_fill_rate"] == pytest.approx(
        sum(min(x.delivered, x.quantity) for x in lines) / sum(x.quantity for x in lines))
    assert summary["value_fill_rate"] == pytest.approx(
        float(shipped_value / sum(x.net_value for x in lines)), abs=1e-6)
    assert summary["order_fill_rate"] == pytest.approx(sum(complete) / len(complete))


def expected_by(group: Callable[[date], Hashable]) -> dict[object, tuple[float, int]]:
    """Order value and number of orders per ``group(order date)``, from the lines."""
    totals: dict[object, list[Decimal | int]] = defaultdict(lambda: [Decimal(0), 0])
    for x in SALES_LINES:
        k = group(x.ordered)
        totals[k][0] += 0 if x.rejected else x.net_value
        totals[k][1] += int(x.item_no == min(y.item_no for y in SALES_LINES
                                             if y.order_id == x.order_id))
    return {k: (float(v), int(n)) for k, (v, n) in totals.items()}


def test_drilldown_by_month(bc: Slicer) -> None:
    body = bc.aggregate("sales", drilldown="order_date:month",
                        aggregates="order_value|orders")
    got = {(c["order_date.year"], c["order_date.quarter"], c["order_date.month"]):
           (c["order_value"], c["orders"]) for c in body["cells"]}
    assert got == expected_by(lambda d: (d.year, (d.month - 1) // 3 + 1, d.month))
    assert body["levels"] == {"order_date": ["year", "quarter", "month"]}
    march = next(c for c in body["cells"] if c["order_date.month"] == 3 and
                 c["order_date.year"] == 2024)
    assert march["order_date.month_name"] == "March"


def test_drilldown_by_iso_week(bc: Slicer) -> None:
    body = bc.aggregate("sales", drilldown="order_date@weekly:iso_week",
                        aggregates="order_value|orders")
    got = {(c["order_date.iso_year"], c["order_date.iso_week"]): (c["order_value"], c["orders"])
           for c in body["cells"]}
    assert got == expected_by(lambda d: tuple(d.isocalendar())[:2])
    # 2023-12-31 is a Sunday of ISO week 2023-W52; 2024-12-30 opens ISO week 2025-W01.
    assert (2023, 52) in got and (2025, 1) in got
    assert [(c["order_date.iso_year"], c["order_date.iso_week"]) for c in body["cells"]] == \
        sorted(got)


def test_drilldown_by_fiscal_period(bc: Slicer) -> None:
    body = bc.aggregate("sales", drilldown="order_date@fiscal:fiscal_period",
                        aggregates="order_value|orders", cut="order_date@fiscal:2024")
    got = {c["order_date.fiscal_period"]: (c["order_value"], c["orders"]) for c in body["cells"]}
    expected = {k: v for k, v in expected_by(lambda d: d.year * 1000 + d.month).items()
                if isinstance(k, int) and k // 1000 == 2024}
    assert got == expected
    assert set(got) == {2024003, 2024004, 2024012}


def test_cut_on_one_day_and_on_a_week(bc: Slicer) -> None:
    day = bc.summary("sales", cut="order_date:2024,1,3,4", aggregates="orders")
    assert day == {"orders": len({x.order_id for x in SALES_LINES
                                  if x.ordered == date(2024, 3, 4)})}
    week = bc.summary("sales", cut="order_date@weekly:2024,10", aggregates="orders")
    assert week == {"orders": len({x.order_id for x in SALES_LINES
                                   if tuple(x.ordered.isocalendar())[:2] == (2024, 10)})}


def test_orders_and_order_value_per_channel(bc: Slicer) -> None:
    body = bc.aggregate("sales", drilldown="channel", aggregates="order_value|orders")
    got = {c["channel.channel"]: (c["order_value"], c["orders"]) for c in body["cells"]}
    expected: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    for x in SALES_LINES:
        expected[x.channel][0] += 0 if x.rejected else float(x.net_value)
    for order_id in {x.order_id for x in SALES_LINES}:
        expected[next(x.channel for x in SALES_LINES if x.order_id == order_id)][1] += 1
    assert got == {k: tuple(v) for k, v in expected.items()}


def test_sales_cut_by_segment(bc: Slicer) -> None:
    champions = bc.summary("sales", cut="segment:champions", aggregates="order_value")
    expected = sum(x.net_value for x in active(SALES_LINES) if x.customer in (1, 3))
    assert champions["order_value"] == pytest.approx(float(expected))


def test_facts_name_their_documents(bc: Slicer) -> None:
    text = bc.get("/cube/sales/facts", format="csv", header="names", order="order_id,item_no",
                  fields="order_id,item_no,customer.global_id,net_value_gc",
                  cut="order_date:2024,1,3,4")
    rows = [(int(o), int(i), g, float(v))
            for _, o, i, g, v in (line.split(",") for line in text.splitlines()[1:])]
    assert rows == [(x.order_id, x.item_no, f"G-{x.customer:06d}", float(x.net_value))
                    for x in SALES_LINES if x.ordered == date(2024, 3, 4)]
