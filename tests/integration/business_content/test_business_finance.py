"""``deliveries``, ``billing`` and ``open_items``: on-time delivery, OTIF, lead time, margin,
days to pay, order-to-cash cycle time (O2C-1) and DSO (domain.md §1.6, §5.5).
"""

from __future__ import annotations

from datetime import date

import pytest
from business_data import (
    DELIVERY_LINES,
    TRANSIT_DAYS,
    DeliveryLine,
    Slicer,
    billing_rows,
    order_date_of,
)

pytest_plugins = ["business_support"]

# O2C-1 (domain.md §1.6, §5.5): invoice 90031 cleared 03-20, 90032 cleared 04-25.
O2C1_CYCLE_DAYS = {3: 16, 4: 52}      # by clearing month
O2C1_DAYS_TO_PAY = {3: 8, 4: 36}


def test_o2c1_cycle_time_and_days_to_pay_per_invoice(bc: Slicer) -> None:
    body = bc.aggregate("open_items", drilldown="cleared_date:month",
                        cut="posting_date:2024|kind:AR",
                        aggregates="o2c_cycle_days|average_days_to_pay")
    got = {c["cleared_date.month"]: (c["o2c_cycle_days"], c["average_days_to_pay"])
           for c in body["cells"]}
    assert got == {m: (O2C1_CYCLE_DAYS[m], O2C1_DAYS_TO_PAY[m]) for m in (3, 4)}


def test_receivables_kpis_leave_payables_out(bc: Slicer) -> None:
    # The 2024 payable (98 days from posting to clearing) is in the cube but in no AR KPI.
    summary = bc.summary("open_items", cut="posting_date:2024")
    assert summary["o2c_cycle_days"] == pytest.approx((16 + 52) / 2)
    assert summary["average_days_to_pay"] == pytest.approx((8 + 36) / 2)
    assert summary["credit_sales"] == pytest.approx(892.50 + 595.00)
    assert summary["amount"] == pytest.approx(892.50 + 595.00 + 820.00)
    payables = bc.summary("open_items", cut="posting_date:2024|kind:AP")
    assert payables["items"] == 1 and payables["average_days_to_pay"] is None


def test_dso_of_the_worked_example(bc: Slicer) -> None:
    # 50,000 open of 200,000 credit sales in 2023, times 365 days = 91.25 (domain.md §5.5).
    summary = bc.summary("open_items", cut="posting_date:2023")
    assert summary["open_receivables"] == 50000
    assert summary["credit_sales"] == 200000
    assert summary["dso"] == pytest.approx(91.25)
    assert summary["ar_to_sales_ratio"] == pytest.approx(0.25)
    assert summary["dso_90"] == pytest.approx(0.25 * 90)
    # The open payable of 2023 is open, but not a receivable.
    assert summary["open_amount"] == 60000


def test_billed_net_value_and_margin(bc: Slicer) -> None:
    rows = billing_rows()
    net = sum(r["net_value_gc"] for r in rows)
    cost = sum(r["cost_gc"] for r in rows)
    summary = bc.summary("billing")
    # O2C-1: invoices of 750.00 and 500.00 at a cost of 8.00 per piece; the third invoice
    # and its cancellation cancel out.
    assert summary["billed_net_value"] == 1250 == net
    assert summary["cost"] == 800 == cost
    assert summary["margin"] == 450
    assert summary["margin_rate"] == pytest.approx(450 / 1250)
    assert summary["billed_gross_value"] == pytest.approx(892.50 + 595.00)
    by_type = bc.aggregate("billing", drilldown="billing_type", aggregates="billed_net_value")
    assert {c["billing_type"]: c["billed_net_value"] for c in by_type["cells"]} == {
        "F2": 1650, "S1": -400}


def issued() -> list[tuple[DeliveryLine, date]]:
    """The goods-issued delivery lines with their goods-issue date."""
    return [(d, d.actual_gi) for d in DELIVERY_LINES if d.actual_gi is not None]


def test_on_time_delivery_goods_issue_against_confirmed_date(bc: Slicer) -> None:
    lines = issued()
    on_time = [d for d, gi in lines if gi <= d.planned_gi]
    summary = bc.summary("deliveries")
    assert summary["goods_issued_lines"] == len(lines)
    assert summary["on_time_rate"] == pytest.approx(len(on_time) / len(lines))
    # O2C-1: delivery 80017 issued on its confirmed day 03-12, 80018 on 03-20 instead of
    # 03-15; the CRM-4 order's four lines on 03-08 as confirmed.
    by_day = bc.aggregate("deliveries", drilldown="gi_date:day", cut="gi_date:2024,1,3",
                          aggregates="on_time_rate|goods_issued_lines")
    assert {c["gi_date.day"]: (c["on_time_rate"], c["goods_issued_lines"])
            for c in by_day["cells"]} == {8: (1, 4), 12: (1, 1), 20: (0, 1)}
    # Lines not yet issued are in no rate: the summary over every day equals the drilldown's.
    assert by_day["summary"]["on_time_rate"] == pytest.approx(5 / 6)


def test_otif_and_lead_time(bc: Slicer) -> None:
    lines = issued()
    ordered = {(4711, 10): 100, (1001, 1): 10, (1001, 2): 5, (1001, 3): 8, (1001, 4): 2}
    otif = [d for d, gi in lines
            if gi <= d.planned_gi and d.quantity >= ordered[(d.order_id, d.order_item)]]
    lead = [(gi - order_date_of(d.order_id)).days for d, gi in lines]
    in_time_for_customer = [d for d, gi in lines
                            if gi.toordinal() + TRANSIT_DAYS <= d.requested.toordinal()]
    summary = bc.summary("deliveries")
    assert summary["otif_rate"] == pytest.approx(len(otif) / len(lines))
    assert summary["average_lead_time_days"] == pytest.approx(sum(lead) / len(lead))
    assert summary["on_time_to_request_rate"] == pytest.approx(
        len(in_time_for_customer) / len(lines))
    # O2C-1's order 4711: 8 days to the first goods issue, 16 to the second.
    by_gi_day = bc.aggregate("deliveries", drilldown="gi_date:day", cut="gi_date:2024,1,3",
                             aggregates="average_lead_time_days")
    assert {c["gi_date.day"]: c["average_lead_time_days"] for c in by_gi_day["cells"]} == {
        8: 4, 12: 8, 20: 16}
