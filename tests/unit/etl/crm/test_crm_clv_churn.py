"""CRM-3 (CLTV), measured curves with fallbacks, and the churn indicators."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kubus.etl.crm.churn import ChurnRules, churn_scores, median_intervals
from kubus.etl.crm.clv import (
    ALL_SEGMENTS,
    cltv,
    customer_clv,
    lifetime_period,
    measure_curves,
    survival_shares,
)

CRM3_PROFIT = [100, 120, 140, 150]
CRM3_RETENTION = [0.60, 0.70, 0.80]


def test_crm3() -> None:
    assert survival_shares(CRM3_RETENTION) == pytest.approx([1, 0.6, 0.42, 0.336])
    assert round(cltv(CRM3_PROFIT, CRM3_RETENTION), 2) == 281.20
    assert round(cltv(CRM3_PROFIT, CRM3_RETENTION, 0.10), 2) == 251.92


def test_cltv_bad_input() -> None:
    with pytest.raises(ValueError, match="3 retention rates"):
        cltv(CRM3_PROFIT, [0.5])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        survival_shares([1.5])


def test_lifetime_period_on_date_keys() -> None:
    since = 20230315
    got = lifetime_period([20230314, 20230315, 20240314, 20240315, 20260101], [since] * 5)
    assert got.tolist() == [0, 1, 1, 2, 3]
    assert lifetime_period([20250228, 20250301], [20240229] * 2).tolist() == [1, 2]


def test_measured_curves_per_segment_with_fallback() -> None:
    # Segment "a": 4 customers active in period 1, 3 of them again in 2 (r_2 = 0.75); all are
    # in period 4 now, so periods 1..3 are complete; 1 of the 3 is active in period 3.
    # Segment "b": one customer in period 2 now: only period 1 complete, no retention pair.
    customers = pd.DataFrame({"customer_key": [1, 2, 3, 4, 5],
                              "segment": ["a", "a", "a", "a", "b"],
                              "current_period": [4, 4, 4, 4, 2]})
    activity = pd.DataFrame({"customer_key": [1, 2, 3, 4, 1, 2, 3, 1, 1, 5, 5],
                             "period": [1, 1, 1, 1, 2, 2, 2, 3, 4, 1, 2]})
    profit = pd.DataFrame({"customer_key": [1, 2, 3, 4, 1, 2, 3, 1, 5, 1],
                           "period": [1, 1, 1, 1, 2, 2, 2, 3, 1, 4],
                           "profit": [10.0, 20, 30, 40, 60, 60, 60, 90, 7, 999]})
    curves = measure_curves(customers, activity, profit, horizon=2)
    a, b, every = (curves.row(s) for s in ("a", "b", ALL_SEGMENTS))
    assert curves.retention[a, 2:4].tolist() == pytest.approx([0.75, 1 / 3])
    assert curves.profit[a, 1:4].tolist() == pytest.approx([25, 60, 90])
    assert curves.profit[a, 5] == pytest.approx(90)            # carried forward
    assert curves.retention[a, 6] == pytest.approx(1 / 3)
    # All customers: customer 5's period 2 is still running, so its pair is not counted: 3 of 4.
    assert curves.retention[every, 2] == pytest.approx(3 / 4)
    assert curves.profit[every, 1] == pytest.approx(107 / 5)
    # "b" has no retention pair: it takes the all-customer rates; its own p_1 = 7.
    assert curves.retention[b, 2:4].tolist() == pytest.approx([0.75, 1 / 3])
    assert curves.profit[b, 1] == pytest.approx(7)
    assert curves.cltv("a", 2) == pytest.approx(25 + 60 * 0.75)
    # Customer CLV from period 4 with horizon 2: p=90, r=1/3 repeat.
    clv = customer_clv(curves, ["a", "unknown"], [4, 4], horizon=2, discount=0.0)
    assert clv[0] == pytest.approx(90 / 3 + 90 / 9)
    assert clv[1] > 0


def test_median_intervals() -> None:
    days = pd.DataFrame({"customer_key": [1, 1, 1, 1, 2, 3, 3],
                         "order_date": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-11",
                                                       "2024-02-20", "2024-01-05",
                                                       "2024-03-01", "2024-03-04"])})
    got = median_intervals(days)
    assert got.to_dict() == {1: 25.0, 3: 3.0}      # 1: gaps 10, 40; 2: one order day only


def frame(**columns: list[float]) -> pd.DataFrame:
    base = {"recency_days": [10], "median_interval_days": [np.nan], "revenue_recent": [0.0],
            "revenue_year_ago": [0.0], "r_score": [3], "previous_r_score": [0]}
    base.update(columns)
    return pd.DataFrame(base)


@pytest.mark.parametrize(("columns", "score", "flag"), [
    ({}, 0.0, 0),
    ({"recency_days": [21], "median_interval_days": [10.0]}, 0.5, 1),
    ({"recency_days": [20], "median_interval_days": [10.0]}, 0.0, 0),   # not strictly above
    ({"revenue_recent": [49.0], "revenue_year_ago": [100.0]}, 0.3, 0),
    ({"revenue_recent": [50.0], "revenue_year_ago": [100.0]}, 0.0, 0),
    ({"r_score": [2], "previous_r_score": [4]}, 0.2, 0),
    ({"r_score": [3], "previous_r_score": [4]}, 0.0, 0),
    ({"r_score": [2], "previous_r_score": [4], "revenue_recent": [0.0],
      "revenue_year_ago": [1.0]}, 0.5, 1),
])
def test_churn_rules(columns: dict, score: float, flag: int) -> None:
    got = churn_scores(frame(**columns)).iloc[0]
    assert math.isclose(got["churn_score"], score) and got["churn_flag"] == flag


def test_churn_rules_are_validated() -> None:
    with pytest.raises(ValueError, match="k must"):
        ChurnRules(k=0)
    with pytest.raises(ValueError, match="weights"):
        ChurnRules(weight_overdue=0, weight_revenue_drop=0, weight_r_drop=0)


def test_job_settings_are_validated() -> None:
    from kubus.etl.crm.job import CustomerAnalyticsSettings

    with pytest.raises(ValueError, match="period_days"):
        CustomerAnalyticsSettings(period_days=0)
    with pytest.raises(ValueError, match="clv_horizon"):
        CustomerAnalyticsSettings(clv_horizon=0)
    with pytest.raises(ValueError, match="discount"):
        CustomerAnalyticsSettings(discount=-1)
