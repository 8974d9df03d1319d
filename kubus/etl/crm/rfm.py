"""RFM scores and segments at a key date (domain.md §5.1), vectorised and tie-safe.

Each customer gets three independent scores 1..5 (5 = best): **R** from the days since the last
order (fewer days = better), **F** from the number of orders and **M** from the order value in
group currency over the scoring period. The code is the three digits ``f"{r}{f}{m}"`` (125
segments); a readable label comes from the R x FM grid in :data:`SEGMENT_GRID`.

Quintiles with ties (the rule, also in docs/crm.md): sort the values from worst to best; a
value's tied group occupies the 1-based positions ``lo..hi``; its mid-rank percentile is
``p = ((lo + hi) / 2 - 0.5) / n`` and its score ``1 + floor(5 p)``, computed exactly in integers
as ``1 + (5 (lo + hi - 1)) // (2 n)``. Without ties this is the plain quintile (n/5 customers
per score when 5 divides n); equal values always share one score, wherever the boundary falls;
the rule is symmetric (reversing the order maps score s to 6 - s unless 5p is an integer);
with fewer than five distinct values the scores spread over 1..5 by their share of customers
(all equal → 3; a 50/50 split → 2 and 4). ``NTILE`` and ``qcut``-by-position are not used
because they split equal values across buckets.

Example::

    quintile_scores([5, 12, 40, 75], higher_is_better=False).tolist()  # [5, 4, 2, 1]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["SEGMENTS", "SEGMENT_GRID", "quintile_scores", "score_rfm", "segment_labels"]

# Rows R = 5 .. 1, columns FM = 1 .. 5 where FM = ceil((F + M) / 2). Read it as: recent buyers
# at the top, big/frequent spenders to the right.
SEGMENT_GRID: tuple[tuple[str, ...], ...] = (
    ("new_customers", "promising", "potential_loyalist", "champions", "champions"),      # R=5
    ("promising", "promising", "potential_loyalist", "loyal", "champions"),              # R=4
    ("about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"),            # R=3
    ("hibernating", "hibernating", "at_risk", "at_risk", "cannot_lose"),                 # R=2
    ("lost", "lost", "hibernating", "at_risk", "cannot_lose"),                           # R=1
)
SEGMENTS: tuple[str, ...] = tuple(dict.fromkeys(label for row in SEGMENT_GRID for label in row))

_GRID = np.array(SEGMENT_GRID, dtype=object)


def quintile_scores(
    values: Sequence[float] | npt.ArrayLike, *, higher_is_better: bool = True
) -> npt.NDArray[np.int64]:
    """Tie-safe quintile scores 1..5 (5 = best) of ``values`` (rule: module docstring).

    Example::

        quintile_scores([1, 1, 2, 3, 4, 5, 6, 8, 10, 12]).tolist()
        # [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got shape {v.shape}")
    if np.isnan(v).any():
        raise ValueError("values must not contain NaN")
    n = v.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    goodness = v if higher_is_better else -v
    _, inverse, counts = np.unique(goodness, return_inverse=True, return_counts=True)
    hi = np.cumsum(counts)[inverse]            # last position of the tied group (1-based)
    lo = hi - counts[inverse] + 1              # first position
    return (1 + (5 * (lo + hi - 1)) // (2 * n)).astype(np.int64)


def segment_labels(
    r: npt.ArrayLike, f: npt.ArrayLike, m: npt.ArrayLike
) -> npt.NDArray[np.object_]:
    """The readable segment of each (R, F, M) triple from :data:`SEGMENT_GRID`.

    Example::

        segment_labels([5, 2], [5, 3], [4, 3]).tolist()  # ['champions', 'at_risk']
    """
    ra, fa, ma = (np.asarray(x, dtype=np.int64) for x in (r, f, m))
    for name, arr in (("r", ra), ("f", fa), ("m", ma)):
        if arr.size and (arr.min() < 1 or arr.max() > 5):
            raise ValueError(f"{name} scores must lie in 1..5")
    fm = (fa + ma + 1) // 2
    return np.asarray(_GRID[5 - ra, fm - 1], dtype=object)


def score_rfm(measures: pd.DataFrame, *, money_decimals: int = 2) -> pd.DataFrame:
    """Add ``r_score``, ``f_score``, ``m_score``, ``rfm`` and ``segment`` to ``measures``.

    ``measures`` has one row per customer with ``recency_days``, ``frequency`` and
    ``monetary``. Money is compared at ``money_decimals`` so sums of the same amounts added in
    a different order (binary floating point) still tie.

    Example::

        frame = pd.DataFrame({"recency_days": [5, 300], "frequency": [12, 1],
                              "monetary": [4800.0, 60.0]})
        score_rfm(frame)["rfm"].tolist()  # ['444', '222']
    """
    missing = {"recency_days", "frequency", "monetary"} - set(measures.columns)
    if missing:
        raise ValueError(f"RFM measures lack column(s): {', '.join(sorted(missing))}")
    out = measures.copy()
    out["r_score"] = quintile_scores(out["recency_days"].to_numpy(), higher_is_better=False)
    out["f_score"] = quintile_scores(out["frequency"].to_numpy())
    money = np.round(out["monetary"].to_numpy(dtype=np.float64), money_decimals)
    out["m_score"] = quintile_scores(money)
    out["rfm"] = (out["r_score"].astype(str) + out["f_score"].astype(str)
                  + out["m_score"].astype(str))
    out["segment"] = segment_labels(out["r_score"], out["f_score"], out["m_score"])
    return out
