"""Many ATP checks in a row, each saving its result (FCFS), for many materials at once.

The engine of backorder processing. Each material keeps its cumulative ATP ``C`` on one date
axis that already holds every date a check can confirm on (element dates, requested dates, the
RLT end): at most one entry per distinct day, however many items there are.

Checks inside a material are sequential (each sees the ones before), but materials are
independent, so check number ``r`` of *every* material runs as one array operation over a
(materials x axis) matrix: a round per item, not a loop per item. This works because saving a
confirmation can be written on ``C`` directly. With ``X(t)`` the quantity confirmed up to ``t``
and ``j`` the first date where it confirms (the requested date for a delivery proposal)::

    C'(t) = C(t) - X(t)              for t >= j
    C'(t) = min(C(t), C'(j))         for t <  j

(for ``t >= j`` a delivery proposal confirms ``X = clip(C, 0, q)``, which leaves 0 where it took
everything and ``C - q`` where ``C >= q``). A remainder confirmed at the RLT end ``L`` then
lowers every ``C'(t)`` to at most ``C'(L) - rest``. The property tests check the result against
one :func:`kubus.scheduling.atp.check` after another.

Materials are bucketed by axis length (padded to a multiple of 64 by repeating the last value,
which changes no minimum) and sorted by item count, so the materials still busy in round ``r``
are a prefix of the matrix. Shortcuts: a round where every check confirms in full on its date
is a few operations; once every busy material has used up its supply (``C`` <= 0 at the end,
no RLT) the run stops; and when one material is left, runs of its items that are all confirmed
in full are found and saved at once (:func:`full_prefix`), vectorised across items.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kubus.scheduling.atp import ConfirmationRule, reverse_running_min
from kubus.scheduling.quantities import Milli

Lines = tuple[tuple[int, int], ...]
"""Confirmed lines as (days since 1970-01-01, thousandths)."""

RULE_CODES = {
    ConfirmationRule.PROPOSAL: 0,
    ConfirmationRule.ONE_TIME: 1,
    ConfirmationRule.COMPLETE: 2,
}
_ONE_TIME, _COMPLETE = 1, 2
_PAD = 64
_MIN_CHUNK = 4
_MAX_CELLS = 1 << 18  # items x dates cells per batch test (2 MiB of int64)


@dataclass(frozen=True, eq=False)
class MaterialRun:
    """One material's items in processing order, on its date axis."""

    axis: npt.NDArray[np.int64]  # days since epoch, ascending; with RLT it ends on the RLT end
    balance: Milli  # N on the axis, with the items' own confirmations released
    positions: npt.NDArray[np.intp]  # axis index of each item's requested date
    quantities: Milli
    rules: npt.NDArray[np.int8]  # RULE_CODES
    rlt: bool


def check_in_order(runs: Sequence[MaterialRun]) -> list[list[Lines]]:
    """Per run, per item (in the run's order): the lines confirmed and saved."""
    results: list[list[Lines]] = [[()] * run.positions.size for run in runs]
    buckets: dict[int, list[int]] = {}
    for index, run in enumerate(runs):
        if run.positions.size:
            buckets.setdefault(-(-run.axis.size // _PAD) * _PAD, []).append(index)
    for width, members in sorted(buckets.items()):
        members.sort(key=lambda i: -runs[i].positions.size)
        _run_bucket([runs[i] for i in members], width, [results[i] for i in members])
    return results


def _run_bucket(runs: list[MaterialRun], width: int, out: list[list[Lines]]) -> None:
    count = len(runs)
    items = np.array([run.positions.size for run in runs])  # descending
    rounds = int(items[0])
    cum = np.empty((count, width), dtype=np.int64)
    days = np.empty((count, width), dtype=np.int64)
    for k, run in enumerate(runs):
        size = run.axis.size
        cum[k, :size] = reverse_running_min(run.balance)
        cum[k, size:] = cum[k, size - 1]
        days[k, :size] = run.axis
        days[k, size:] = run.axis[-1]
    last = np.array([run.axis.size - 1 for run in runs], dtype=np.intp)
    rlt = np.array([run.rlt for run in runs], dtype=np.bool_)
    busy = np.searchsorted(-items, -np.arange(rounds), side="left")  # runs with > r items
    # The items in round-major order: round r holds item r of runs 0 .. busy[r] - 1.
    start = np.r_[0, np.cumsum(busy)]
    flat = start[np.concatenate([np.arange(n) for n in items])] + np.repeat(np.arange(count), items)
    pos = np.empty(flat.size, dtype=np.intp)
    qty = np.empty(flat.size, dtype=np.int64)
    rule = np.empty(flat.size, dtype=np.int8)
    pos[flat] = np.concatenate([run.positions for run in runs])
    qty[flat] = np.concatenate([run.quantities for run in runs])
    rule[flat] = np.concatenate([run.rules for run in runs])
    cols = np.arange(width)
    for r in range(rounds):
        k, a, b = int(busy[r]), int(start[r]), int(start[r + 1])
        if not rlt[:k].any() and bool((cum[:k, -1] <= 0).all()):
            break  # supply is used up for good in every busy run: the rest get nothing ()
        if k == 1:  # one run left: batch its items instead of one round per item
            _single_run(
                cum[:1],
                days[0],
                pos[a:],
                qty[a:],
                rule[a:],
                rlt=bool(rlt[0]),
                last=last[:1],
                out=out[0],
                first=r,
            )
            break
        if _all_in_full(cum[:k], pos[a:b], qty[a:b], cols):
            for row, day, amount in zip(
                range(k), days[np.arange(k), pos[a:b]].tolist(), qty[a:b].tolist(), strict=True
            ):
                out[row][r] = ((day, amount),)
            continue
        confirmed = _round(
            cum[:k], pos[a:b], qty[a:b], rule=rule[a:b], last=last[:k], rlt=rlt[:k], cols=cols
        )
        steps = confirmed.copy()
        steps[:, 1:] -= confirmed[:, :-1]
        rows, at = np.nonzero(steps)
        _collect(out, r, rows.tolist(), days[rows, at].tolist(), steps[rows, at].tolist())


def _single_run(
    cum: Milli,
    days: npt.NDArray[np.int64],
    pos: npt.NDArray[np.intp],
    qty: Milli,
    rule: npt.NDArray[np.int8],
    *,
    rlt: bool,
    last: npt.NDArray[np.intp],
    out: list[Lines],
    first: int,
) -> None:
    """The remaining items of one run (``cum`` is its 1 x width row), batching runs of items
    that are all confirmed in full on their dates (see :func:`full_prefix`)."""
    row = cum[0]
    cols = np.arange(row.size)
    widest = max(_MIN_CHUNK, _MAX_CELLS // row.size)
    chunk, batch, k, count = _MIN_CHUNK, True, 0, pos.size
    while k < count:
        if not rlt and row[-1] <= 0:
            return  # used up for good: the rest get nothing ()
        if batch:
            stop = min(k + chunk, count)
            full = full_prefix(row, pos[k:stop], qty[k:stop])
            if full:
                issued = np.zeros(row.size, dtype=np.int64)
                np.add.at(issued, pos[k : k + full], qty[k : k + full])
                row[:] = reverse_running_min(row - np.cumsum(issued))
                for offset, (p, q) in enumerate(
                    zip(pos[k : k + full].tolist(), qty[k : k + full].tolist(), strict=True)
                ):
                    out[first + k + offset] = ((int(days[p]), q),)
                k += full
            if k == stop:
                chunk = min(chunk * 2, widest)
                continue
            # Item k is short; after a chunk that failed at once, go item by item until an
            # item is confirmed in full again.
            batch, chunk = full > 0, _MIN_CHUNK
        p, q = int(pos[k]), int(qty[k])
        if not rlt and rule[k] == 0:  # a delivery proposal, in one dimension
            tail = row[p:]
            take = np.minimum(np.maximum(tail, 0), q)
            steps = take.copy()
            steps[1:] -= take[:-1]
            at = np.flatnonzero(steps)
            out[first + k] = tuple(zip(days[p + at].tolist(), steps[at].tolist(), strict=True))
            tail -= take
            np.minimum(row[:p], tail[0], out=row[:p])
            batch = batch or out[first + k] == ((int(days[p]), q),)
            k += 1
            continue
        confirmed = _round(
            cum,
            pos[k : k + 1],
            qty[k : k + 1],
            rule=rule[k : k + 1],
            last=last,
            rlt=np.array([rlt]),
            cols=cols,
        )
        steps = confirmed[0].copy()
        steps[1:] -= confirmed[0, :-1]
        at = np.flatnonzero(steps)
        out[first + k] = tuple(zip(days[at].tolist(), steps[at].tolist(), strict=True))
        batch = batch or out[first + k] == ((int(days[p]), q),)
        k += 1


def full_prefix(cum: Milli, positions: npt.NDArray[np.intp], quantities: Milli) -> int:
    """How many of the given items (in order) are each confirmed in full on their date.

    Saving issues ``D`` turns cumulative ATP into ``suffix_min(C - D)``, so prefix ``K`` is
    confirmed in full exactly when ``suffix_min(C - D_K) >= 0`` from its earliest date on: one
    2-D cumulative sum over (items x dates) decides it for every prefix at once.
    """
    lo = int(positions.min())
    tail = cum[lo:]
    count = positions.size
    rows = np.arange(count)
    grid = np.zeros((count, tail.size), dtype=np.int64)
    grid[rows, positions - lo] = quantities
    np.cumsum(grid, axis=1, out=grid)  # each item's issue, from its date on
    np.cumsum(grid, axis=0, out=grid)  # ... summed over the prefix
    np.subtract(tail, grid, out=grid)
    suffix_min = np.minimum.accumulate(grid[:, ::-1], axis=1)[:, ::-1]
    ok = suffix_min[rows, np.minimum.accumulate(positions - lo)] >= 0
    return count if bool(ok.all()) else int(ok.argmin())


def _collect(
    out: list[list[Lines]], r: int, rows: list[int], days: list[int], amounts: list[int]
) -> None:
    """Store round ``r``'s lines (row-major, so each row's lines are adjacent, by date)."""
    index, end = 0, len(rows)
    while index < end:
        row = rows[index]
        stop = index + 1
        while stop < end and rows[stop] == row:
            stop += 1
        if stop == index + 1:  # the common case: one line
            out[row][r] = ((days[index], amounts[index]),)
        else:
            out[row][r] = tuple(zip(days[index:stop], amounts[index:stop], strict=True))
        index = stop


def _all_in_full(
    cum: Milli, pos: npt.NDArray[np.intp], qty: Milli, cols: npt.NDArray[np.intp]
) -> bool:
    """The common round: every check confirms its whole quantity on its requested date (for
    any rule). If so, save it into ``cum`` with a few array operations and say so."""
    at_date = cum[np.arange(pos.size), pos]
    if not bool((at_date >= qty).all()):
        return False
    before = cols < pos[:, None]
    cum -= np.where(before, 0, qty[:, None])
    np.minimum(cum, (at_date - qty)[:, None], out=cum, where=before)
    return True


def _round(
    cum: Milli,
    pos: npt.NDArray[np.intp],
    qty: Milli,
    *,
    rule: npt.NDArray[np.int8],
    last: npt.NDArray[np.intp],
    rlt: npt.NDArray[np.bool_],
    cols: npt.NDArray[np.intp],
) -> Milli:
    """One check per row, saved into ``cum`` in place; returns the cumulative confirmations."""
    rows = np.arange(pos.size)
    tail = cols >= pos[:, None]
    confirmed = np.where(tail, np.minimum(np.maximum(cum, 0), qty[:, None]), 0)
    start = pos.copy()
    one = np.flatnonzero(rule == _ONE_TIME)
    if one.size:
        first = np.clip(cum[one, pos[one]], 0, qty[one])
        confirmed[one] = np.where(tail[one], first[:, None], 0)
    complete = np.flatnonzero(rule == _COMPLETE)
    if complete.size:
        enough = tail[complete] & (cum[complete] >= qty[complete, None])
        at = enough.argmax(axis=1)
        found = enough[np.arange(complete.size), at]
        confirmed[complete] = np.where(
            found[:, None] & (cols >= at[:, None]), qty[complete, None], 0
        )
        start[complete] = np.where(found, at, pos[complete])
    after = cum - confirmed
    at_start = after[rows, start]
    np.copyto(after, np.minimum(cum, at_start[:, None]), where=cols < start[:, None])
    rest = qty - confirmed[rows, last]
    extra = np.flatnonzero(rlt & (rule != _ONE_TIME) & (rest > 0))
    if extra.size:  # the remainder is confirmed at the end of the RLT (the last axis date)
        confirmed[extra] += np.where(cols >= last[extra, None], rest[extra, None], 0)
        after[extra] = np.minimum(after[extra], (after[extra, last[extra]] - rest[extra])[:, None])
    cum[...] = after
    return confirmed
