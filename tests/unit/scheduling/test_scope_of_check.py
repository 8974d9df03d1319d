"""Building a timeline: scope of check, GR processing time, past receipts, cumulation basis."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from kubus.scheduling.atp import AtpRequest, check, cumulative_atp
from kubus.scheduling.calendar import FactoryCalendar
from kubus.scheduling.errors import (
    InvalidParameterError,
    InvalidQuantityError,
    InvalidScopeError,
)
from kubus.scheduling.timeline import (
    ElementKind,
    IssueBasis,
    IssueElement,
    ReceiptElement,
    ScopeOfCheck,
    StockElement,
    Timeline,
    build_timeline,
    timeline_from_columns,
)

TODAY = date(2024, 3, 4)
K = ElementKind


def d(month: int, day: int) -> date:
    return date(2024, month, day)


def rows(timeline):
    return list(zip(timeline.dates.tolist(), (timeline.net // 1000).tolist(), strict=True))


STOCKS = [
    StockElement(K.UNRESTRICTED_STOCK, 100),
    StockElement(K.QUALITY_INSPECTION_STOCK, 20),
    StockElement(K.BLOCKED_STOCK, 5),
]
RECEIPTS = [
    ReceiptElement(K.PURCHASE_ORDER, d(3, 8), 80),
    ReceiptElement(K.PURCHASE_REQUISITION, d(3, 13), 60),
    ReceiptElement(K.PLANNED_ORDER, d(3, 18), 40),
]
ISSUES = [
    IssueElement(K.SALES_ORDER, d(3, 6), requested=70, confirmed=50),
    IssueElement(K.DELIVERY, d(3, 11), requested=30, confirmed=30),
    IssueElement(K.RESERVATION, d(3, 12), requested=7, confirmed=7),
]


def test_default_scope_counts_unrestricted_stock_all_receipts_confirmed_issues():
    timeline = build_timeline(today=TODAY, stocks=STOCKS, receipts=RECEIPTS, issues=ISSUES)
    assert rows(timeline) == [
        (d(3, 4), 100),
        (d(3, 6), -50),
        (d(3, 8), 80),
        (d(3, 11), -30),
        (d(3, 12), -7),
        (d(3, 13), 60),
        (d(3, 18), 40),
    ]


def test_scope_selects_stock_categories_receipts_and_issues():
    scope = ScopeOfCheck(
        stocks=frozenset({K.QUALITY_INSPECTION_STOCK}),
        receipts=frozenset({K.PURCHASE_ORDER}),
        issues=frozenset({K.SALES_ORDER, K.DELIVERY}),
    )
    assert K.UNRESTRICTED_STOCK in scope.stocks  # always counts
    timeline = build_timeline(
        today=TODAY, stocks=STOCKS, receipts=RECEIPTS, issues=ISSUES, scope=scope
    )
    assert rows(timeline) == [(d(3, 4), 120), (d(3, 6), -50), (d(3, 8), 80), (d(3, 11), -30)]


def test_cumulating_requirements_uses_requested_quantities():
    scope = ScopeOfCheck(issue_basis=IssueBasis.REQUESTED)
    timeline = build_timeline(today=TODAY, issues=ISSUES[:1], scope=scope)
    assert rows(timeline) == [(d(3, 4), 0), (d(3, 6), -70)]


def test_gr_processing_time_moves_receipts_by_working_days():
    cal = FactoryCalendar.monday_to_friday()
    timeline = build_timeline(
        today=TODAY, receipts=RECEIPTS[:1], calendar=cal, gr_processing_days=2
    )
    assert rows(timeline) == [(d(3, 4), 0), (d(3, 12), 80)]  # Fri 03-08 + 2 = Tue 03-12


def test_past_receipts_and_backlog_issues():
    receipts = [ReceiptElement(K.PURCHASE_ORDER, d(3, 1), 10)]
    issues = [IssueElement(K.SALES_ORDER, d(2, 28), 5, 5)]
    without = build_timeline(today=TODAY, receipts=receipts, issues=issues)
    assert rows(without) == [(d(3, 4), -5)]
    with_past = build_timeline(
        today=TODAY,
        receipts=receipts,
        issues=issues,
        scope=ScopeOfCheck(include_past_receipts=True),
    )
    assert rows(with_past) == [(d(3, 4), 5)]


def test_columns_give_the_same_timeline_as_records():
    by_records = build_timeline(today=TODAY, stocks=STOCKS[:1], receipts=RECEIPTS, issues=ISSUES)
    by_columns = timeline_from_columns(
        today=TODAY,
        stock=100,
        receipt_dates=np.array([r.date for r in RECEIPTS], dtype="datetime64[D]"),
        receipt_quantities=[80, 60, 40],
        issue_dates=[i.date for i in ISSUES],
        issue_quantities=[50.0, 30.0, 7.0],
    )
    assert rows(by_records) == rows(by_columns)


def test_timeline_is_immutable():
    timeline = Timeline.from_arrays([TODAY], [5])
    with pytest.raises(ValueError, match="read-only"):
        timeline.net[0] = 7
    assert cumulative_atp(timeline).rows()[0].cum_atp == 5


def test_bad_scope_and_elements():
    with pytest.raises(InvalidScopeError):
        ScopeOfCheck(stocks=frozenset({K.PURCHASE_ORDER}))
    with pytest.raises(InvalidScopeError):
        ReceiptElement(K.SALES_ORDER, TODAY, 1)
    with pytest.raises(InvalidQuantityError):
        StockElement(K.UNRESTRICTED_STOCK, -1)
    with pytest.raises(InvalidParameterError):
        timeline_from_columns(today=TODAY, receipt_dates=[TODAY], receipt_quantities=[-4])
    with pytest.raises(InvalidParameterError):
        timeline_from_columns(today=TODAY, receipt_dates=[TODAY], receipt_quantities=[1, 2])
    with pytest.raises(InvalidParameterError):
        Timeline(np.array(["2024-03-05", "2024-03-04"], dtype="datetime64[D]"), np.array([1, 2]))


def test_check_after_building():
    timeline = build_timeline(today=TODAY, stocks=STOCKS, receipts=RECEIPTS, issues=ISSUES)
    confirmation = check(AtpRequest(10, d(3, 7)), timeline, today=TODAY)
    assert confirmation.fully_confirmed
