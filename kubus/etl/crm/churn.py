"""Rule-based churn indicators combined into a weighted score (domain.md §5.3).

Three indicators, each 0 or 1 per customer:

* **overdue** — days since the last order > ``k`` x the customer's own median interval
  between consecutive order days (k = 2); needs at least two order days, else 0;
* **revenue drop** — order value of the last 3 months (``(key - 3 months, key]``) below
  ``revenue_share`` (50 %) of the same window a year earlier; needs revenue a year earlier;
* **R drop** — the R score fell by ≥ ``r_drop`` (2) levels since the previous RFM run; 0 when
  there was no previous run for the customer.

``churn_score = Σ weight x indicator`` (weights 0.5, 0.3, 0.2 sum to 1) and the flag is set when
the score reaches ``threshold`` (0.5): being overdue alone flags a customer, the two softer
signals flag only together.

Example::

    frame = pd.DataFrame({"recency_days": [90], "median_interval_days": [30.0],
                          "revenue_recent": [0.0], "revenue_year_ago": [0.0],
                          "r_score": [2], "previous_r_score": [0]})
    churn_scores(frame)[["churn_score", "churn_flag"]].values.tolist()  # [[0.5, 1]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["ChurnRules", "churn_scores", "median_intervals"]


@dataclass(frozen=True)
class ChurnRules:
    """Parameters and weights of the churn indicators (defaults as documented above)."""

    k: float = 2.0
    revenue_share: float = 0.5
    r_drop: int = 2
    weight_overdue: float = 0.5
    weight_revenue_drop: float = 0.3
    weight_r_drop: float = 0.2
    threshold: float = 0.5

    def __post_init__(self) -> None:
        weights = (self.weight_overdue, self.weight_revenue_drop, self.weight_r_drop)
        if self.k <= 0:
            raise ValueError(f"k must be > 0, got {self.k}")
        if not 0 < self.revenue_share <= 1:
            raise ValueError(f"revenue_share must lie in (0, 1], got {self.revenue_share}")
        if self.r_drop < 1:
            raise ValueError(f"r_drop must be >= 1, got {self.r_drop}")
        if min(weights) < 0 or sum(weights) <= 0:
            raise ValueError(f"weights must be >= 0 and not all 0, got {weights}")


def median_intervals(order_days: pd.DataFrame) -> pd.Series:
    """Median days between consecutive distinct order days, per ``customer_key``.

    ``order_days`` has ``customer_key`` and ``order_date`` (datetime64). Customers with a single
    order day are absent from the result.
    """
    days = order_days[["customer_key", "order_date"]].drop_duplicates().sort_values(
        ["customer_key", "order_date"])
    gap = days["order_date"].diff().dt.days
    same = days["customer_key"].eq(days["customer_key"].shift())
    gaps = pd.DataFrame({"customer_key": days["customer_key"], "gap": gap})[same]
    return gaps.groupby("customer_key")["gap"].median().rename("median_interval_days")


def churn_scores(frame: pd.DataFrame, rules: ChurnRules | None = None) -> pd.DataFrame:
    """Add ``overdue``, ``revenue_drop``, ``r_drop``, ``churn_score`` and ``churn_flag``.

    Needs ``recency_days``, ``median_interval_days`` (NaN if unknown), ``revenue_recent``,
    ``revenue_year_ago``, ``r_score`` and ``previous_r_score`` (0 if none).
    """
    rules = rules or ChurnRules()
    out = frame.copy()
    median = out["median_interval_days"].to_numpy(dtype=np.float64)
    recency = out["recency_days"].to_numpy(dtype=np.float64)
    out["overdue"] = (~np.isnan(median) & (recency > rules.k * median)).astype(np.int8)
    before = out["revenue_year_ago"].to_numpy(dtype=np.float64)
    recent = out["revenue_recent"].to_numpy(dtype=np.float64)
    out["revenue_drop"] = ((before > 0) & (recent < rules.revenue_share * before)).astype(np.int8)
    previous = out["previous_r_score"].fillna(0).to_numpy(dtype=np.int64)
    drop = previous - out["r_score"].to_numpy(dtype=np.int64)
    out["r_drop"] = ((previous > 0) & (drop >= rules.r_drop)).astype(np.int8)
    total = rules.weight_overdue + rules.weight_revenue_drop + rules.weight_r_drop
    score = (rules.weight_overdue * out["overdue"] + rules.weight_revenue_drop
             * out["revenue_drop"] + rules.weight_r_drop * out["r_drop"]) / total
    out["churn_score"] = score.round(6)
    out["churn_flag"] = (out["churn_score"] >= rules.threshold - 1e-9).astype(np.int8)
    return out
