"""``stock`` (BW-6, non-cumulative), ``availability``, ``procurement`` and ``goods_receipts``
(P2P-1): expected values from domain.md §4.7 and §1.7, or recomputed from the inserted rows.
"""

from __future__ import annotations

import pytest
from business_data import (
    ATP_CHECKS,
    P2P1_DUE,
    P2P1_RECEIPTS,
    Slicer,
    purchasing_rows,
    stock_rows,
)

pytest_plugins = ["business_support"]


def test_bw6_closing_stock_is_cut_on_one_day(bc: Slicer) -> None:
    assert bc.summary("stock", cut="date:2024,1,2,29")["closing_stock"] == 950   # end Feb
    assert bc.summary("stock", cut="date:2024,1,1,31")["closing_stock"] == 1100  # end Jan
    assert bc.summary("stock", cut="date:2024,1,3,31")["closing_stock"] == 1150  # end Mar
    end_feb = bc.summary("stock", cut="date:2024,1,2,29")
    assert end_feb["closing_stock_value"] == 950 * 2
    assert end_feb["days"] == 1


def test_bw6_inflow_and_outflow_of_the_quarter(bc: Slicer) -> None:
    q1 = bc.summary("stock", cut="date:2024,1")
    assert (q1["inflow"], q1["outflow"], q1["net_change"]) == (700, 550, 150)


def test_closing_stock_by_day_in_a_drilldown_and_average_stock(bc: Slicer) -> None:
    body = bc.aggregate("stock", drilldown="date:day", cut="date:2024,1,1",
                        aggregates="closing_stock")
    january = {c["date.day"]: c["closing_stock"] for c in body["cells"]}
    assert january[1] == 1000 and january[10] == 1300 and january[31] == 1100
    rows = stock_rows()
    q1 = bc.summary("stock", cut="date:2024,1")
    assert q1["days"] == len(rows) == 91
    assert q1["average_stock"] == pytest.approx(sum(r["stock_qty"] for r in rows) / len(rows))


def test_stock_by_iso_week(bc: Slicer) -> None:
    # Week 2024-W09 is Mon 26 Feb .. Sun 3 Mar; its last day is Sunday 3 March.
    body = bc.aggregate("stock", drilldown="date@weekly:day", cut="date@weekly:2024,9",
                        aggregates="closing_stock")
    assert [(c["date.date"], c["closing_stock"]) for c in body["cells"]][-1][1] == 950
    assert len(body["cells"]) == 7


def test_availability_kpis(bc: Slicer) -> None:
    requested = sum(r for r, _, _, _ in ATP_CHECKS)
    confirmed = sum(c for _, c, _, _ in ATP_CHECKS)
    delays = [(conf - req).days for _, _, req, conf in ATP_CHECKS if conf]
    summary = bc.summary("availability")
    assert summary["atp_fill_rate"] == pytest.approx(confirmed / requested)
    assert summary["full_confirmation_rate"] == pytest.approx(
        sum(c >= r for r, c, _, _ in ATP_CHECKS) / len(ATP_CHECKS))
    assert summary["on_time_confirmation_rate"] == pytest.approx(
        sum(conf == req for _, _, req, conf in ATP_CHECKS) / len(ATP_CHECKS))
    assert summary["average_delay_days"] == pytest.approx(sum(delays) / len(delays))


def test_p2p1_purchase_order_kpis(bc: Slicer) -> None:
    summary = bc.summary("procurement")
    # P2P-1: 200 PC at 4.00 received complete (150 + 50), last receipt 03-18 after 03-15;
    # a second PO item of 300.00 is still open.
    assert summary["po_value"] == 800 + 300
    assert summary["received_complete_rate"] == pytest.approx(0.5)
    assert summary["vendor_on_time_rate"] == 0
    assert summary["open_po_qty"] == 100 and summary["open_po_value"] == 300


def test_p2p1_goods_receipt_delay(bc: Slicer) -> None:
    delays = [(day - P2P1_DUE).days for day, _ in P2P1_RECEIPTS]
    march = bc.summary("goods_receipts", cut="posting_date:2024,1,3")
    assert march["received_value"] == 600 + 200
    assert march["average_gr_delay_days"] == pytest.approx(sum(delays) / len(delays)) == 1.5
    assert march["receipt_on_time_rate"] == pytest.approx(0.5)


def test_goods_receipt_reversals_net_out_of_quantities_not_of_delays(bc: Slicer) -> None:
    _, receipts = purchasing_rows()
    postings = [r for r in receipts if r["receipt_count"] > 0]
    summary = bc.summary("goods_receipts")
    assert summary["receipts"] == len(postings) - (len(receipts) - len(postings))
    assert summary["received_qty"] == sum(r["quantity"] for r in receipts) == 200
    assert summary["average_gr_delay_days"] == pytest.approx(
        sum(r["delay_days"] for r in postings) / len(postings))
    assert summary["receipt_on_time_rate"] == pytest.approx(
        sum(r["on_time_flag"] for r in postings) / len(postings))
