"""Customer lifetime value per segment and lifetime period (domain.md §5.2).

A customer's **lifetime period** t is the year of the relationship a date falls in: t = 1 from
the "customer since" date up to the day before its first anniversary, then 2, and so on. On
``YYYYMMDD`` date keys that is exactly ``1 + (date_key - since_key) // 10000``.

Formula (CRM-3)::

    S_1 = 1 ; S_t = Π_{k=2..t} r_k
    CLTV = Σ_t p_t · S_t / (1 + d)^(t - 1)

Measured from the warehouse by :func:`measure_curves` (per segment):

* ``r_{t+1}`` = customers active (≥ 1 order) in period t that are active again in t + 1, over
  the customers active in t — counted only where period t + 1 is complete at the key date, so a
  running year never reads as churn;
* ``p_t`` = billed profit (net value - cost, group currency) of the segment's customers in their
  complete period t, over the customers active in t;
* a (segment, t) without observations takes the all-customer value, and periods after the last
  observation repeat the last value (carry forward); no data at all gives 0.

:func:`customer_clv` is the per-customer estimate stored in ``fact_customer.clv_gc``: the
discounted expected profit of the next ``horizon`` lifetime periods after the customer's current
one, on its segment's curves, given that it is a customer now.

Example::

    round(cltv([100, 120, 140, 150], [0.6, 0.7, 0.8], 0.10), 2)  # 251.92
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "ALL_SEGMENTS",
    "SegmentCurves",
    "cltv",
    "customer_clv",
    "lifetime_period",
    "measure_curves",
    "survival_shares",
]

ALL_SEGMENTS = "*"
FloatArray = npt.NDArray[np.float64]


def survival_shares(retention: Sequence[float]) -> list[float]:
    """``[S_1, …, S_T]`` from the retention rates ``[r_2, …, r_T]`` (S_1 = 1)."""
    shares = [1.0]
    for rate in retention:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"retention rates must lie in [0, 1], got {rate}")
        shares.append(shares[-1] * rate)
    return shares


def cltv(profits: Sequence[float], retention: Sequence[float], discount: float = 0.0) -> float:
    """CLTV from profits ``p_1..p_T`` and retention ``r_2..r_T`` at discount rate ``d``.

    Example::

        round(cltv([100, 120, 140, 150], [0.6, 0.7, 0.8]), 2)  # 281.2
    """
    if len(retention) != len(profits) - 1:
        raise ValueError(f"need {len(profits) - 1} retention rates for {len(profits)} periods,"
                         f" got {len(retention)}")
    if discount <= -1.0:
        raise ValueError(f"discount must be > -1, got {discount}")
    shares = survival_shares(retention)
    return float(sum(p * s / (1.0 + discount) ** t
                     for t, (p, s) in enumerate(zip(profits, shares, strict=True))))


def lifetime_period(
    date_keys: npt.ArrayLike, since_keys: npt.ArrayLike
) -> npt.NDArray[np.int64]:
    """Lifetime period (1-based) of each ``YYYYMMDD`` date key; 0 before the start date."""
    d = np.asarray(date_keys, dtype=np.int64)
    s = np.asarray(since_keys, dtype=np.int64)
    return np.where(d >= s, 1 + (d - s) // 10000, 0)


@dataclass(frozen=True)
class SegmentCurves:
    """Retention and profit per segment (rows) and lifetime period (columns; column t = period t,
    column 0 unused). ``retention[:, t]`` is r_t (from t - 1 to t; r_1 = 1)."""

    segments: tuple[str, ...]
    retention: FloatArray
    profit: FloatArray

    def row(self, segment: str) -> int:
        """Index of ``segment`` (unknown segments use the all-customer row)."""
        try:
            return self.segments.index(segment)
        except ValueError:
            return self.segments.index(ALL_SEGMENTS)

    def cltv(self, segment: str, periods: int, discount: float = 0.0) -> float:
        """CLTV of a new customer of ``segment`` over lifetime periods 1..``periods``."""
        i = self.row(segment)
        return cltv(self.profit[i, 1:periods + 1].tolist(),
                    self.retention[i, 2:periods + 1].tolist(), discount)


def _dense(frame: pd.DataFrame, value: str, segments: tuple[str, ...], width: int) -> FloatArray:
    """(segment, period) → value as a segments x width matrix with NaN where unobserved."""
    out = np.full((len(segments), width), np.nan)
    if not frame.empty:
        rows = pd.Index(segments).get_indexer(pd.Index(frame["segment"]))
        out[rows, frame["period"].to_numpy(dtype=np.int64)] = frame[value].to_numpy(np.float64)
    return out


def _complete(matrix: FloatArray, first: int) -> FloatArray:
    """Fill gaps from the all-customer row (last), then carry values forward, then 0."""
    filled = np.where(np.isnan(matrix), matrix[-1:, :], matrix)
    frame = pd.DataFrame(filled[:, first:]).T.ffill().fillna(0.0).T
    filled[:, first:] = frame.to_numpy(dtype=np.float64)
    filled[:, :first] = 1.0 if first == 2 else 0.0
    return filled


def measure_curves(
    customers: pd.DataFrame, activity: pd.DataFrame, profit: pd.DataFrame, *, horizon: int = 5
) -> SegmentCurves:
    """Measure retention and profit curves per segment (rules: module docstring).

    ``customers``: ``customer_key, segment, current_period`` (lifetime period of the key date);
    ``activity``: distinct ``customer_key, period`` with at least one order;
    ``profit``: ``customer_key, period, profit``. The curves reach ``horizon`` periods beyond
    the last observed one so that :func:`customer_clv` can look ahead.
    """
    seg = customers[["customer_key", "segment", "current_period"]]
    act = activity[["customer_key", "period"]].drop_duplicates().merge(seg, on="customer_key")
    act = act[(act["period"] >= 1) & (act["period"] < act["current_period"])]
    nxt = act[["customer_key", "period"]].assign(period=act["period"] - 1, kept=1)
    pairs = act[act["period"] + 1 < act["current_period"]].merge(
        nxt, on=["customer_key", "period"], how="left")
    pairs["kept"] = pairs["kept"].fillna(0)
    prof = profit.merge(seg, on="customer_key")
    prof = prof[(prof["period"] >= 1) & (prof["period"] < prof["current_period"])]

    def per_segment(frame: pd.DataFrame, agg: dict[str, tuple[str, str]]) -> pd.DataFrame:
        both = pd.concat([frame, frame.assign(segment=ALL_SEGMENTS)])
        return both.groupby(["segment", "period"], as_index=False).agg(**agg)

    kept = per_segment(pairs, {"base": ("kept", "size"), "kept": ("kept", "sum")})
    kept = kept.assign(period=kept["period"] + 1, rate=kept["kept"] / kept["base"])
    active = per_segment(act, {"active": ("customer_key", "size")})
    money = per_segment(prof, {"profit": ("profit", "sum")}).merge(
        active, on=["segment", "period"], how="right").fillna({"profit": 0.0})
    money["per_customer"] = money["profit"] / money["active"]

    observed = sorted(set(seg["segment"]) - {ALL_SEGMENTS})
    segments = (*observed, ALL_SEGMENTS)
    last = max(int(act["period"].max()) if not act.empty else 1, 1)
    width = last + horizon + 2
    retention = _complete(_dense(kept, "rate", segments, width), 2)
    per_customer = _complete(_dense(money, "per_customer", segments, width), 1)
    return SegmentCurves(segments=segments, retention=retention, profit=per_customer)


def customer_clv(
    curves: SegmentCurves,
    segments: Sequence[str] | npt.ArrayLike,
    current_period: npt.ArrayLike,
    *,
    horizon: int = 5,
    discount: float = 0.10,
) -> FloatArray:
    """Expected discounted profit of the next ``horizon`` periods, per customer.

    ``clv = Σ_{j=1..H} p[t0 + j] · Π_{k=t0+1..t0+j} r[k] / (1 + d)^j`` with t0 the customer's
    current lifetime period and p, r its segment's curves (periods past the curves repeat the
    last value).
    """
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    t0 = np.maximum(np.asarray(current_period, dtype=np.int64), 1)
    lookup = {name: i for i, name in enumerate(curves.segments)}
    seg_rows = pd.Series(np.asarray(segments, dtype=object)).map(lookup)
    seg_idx = seg_rows.fillna(curves.row(ALL_SEGMENTS)).to_numpy(dtype=np.int64)
    last = curves.retention.shape[1] - 1
    value = np.zeros(t0.shape, dtype=np.float64)
    survival = np.ones(t0.shape, dtype=np.float64)
    for j in range(1, horizon + 1):   # a loop over look-ahead periods, not over customers
        t = np.minimum(t0 + j, last)
        survival = survival * curves.retention[seg_idx, t]
        value += curves.profit[seg_idx, t] * survival / (1.0 + discount) ** j
    return value
