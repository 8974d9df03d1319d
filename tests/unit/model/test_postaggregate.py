"""Post-aggregation window functions (slicer-api.md §3.6), with hand-computed expectations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kubus.model.errors import ArgumentError, ModelError
from kubus.model.postaggregate import (
    POST_AGGREGATE_FUNCTIONS,
    PostAggregateSpec,
    apply_post_aggregates,
    window_size_for,
)

# Source values in result order; the None is a cell without a value, which does not enter
# the window (the window keeps its previous values).
MONTHLY = [10, 20, None, 30, 60]


def _run(function: str, window: int, values: list[Any] = MONTHLY) -> list[Any]:
    rows = [{"month": i, "amount_sum": v} for i, v in enumerate(values, start=1)]
    apply_post_aggregates(rows, [PostAggregateSpec("target", function, "amount_sum", window)],
                          key_refs=[])
    assert [row["amount_sum"] for row in rows] == values  # the source is left alone
    return [row["target"] for row in rows]


@pytest.mark.parametrize(("function", "expected"), [
    # windows (size 3): [10], [10,20], [10,20], [10,20,30], [20,30,60]
    ("sma", [10.0, 15.0, 15.0, 20.0, 36.67]),  # 110/3 = 36.666.. -> 36.67
    # weights 1..n, oldest first: 10/1; (10+40)/3; same; (10+40+90)/6; (20+60+180)/6
    ("wma", [10.0, 16.6667, 16.6667, 23.3333, 43.3333]),
    ("sms", [10, 30, 30, 60, 110]),
    # sample stddev: sqrt(50) = 7.0711; sqrt(100) = 10; sqrt(866.67/2) = 20.8167
    ("smstd", [None, 7.07, 7.07, 10.0, 20.82]),
    ("smvar", [None, 50.0, 50.0, 100.0, 433.33]),
    # stddev / mean: 7.0711/15; 10/20; 20.8167/36.6667
    ("smrsd", [None, 0.4714, 0.4714, 0.5, 0.5677]),
])
def test_window_functions(function: str, expected: list[Any]) -> None:
    assert _run(function, 3) == expected


def test_all_functions_are_covered() -> None:
    assert frozenset({"wma", "sma", "sms", "smstd", "smrsd", "smvar"}) == POST_AGGREGATE_FUNCTIONS


def test_window_of_one_is_the_value_itself() -> None:
    assert _run("sms", 1) == [10, 20, 20, 30, 60]
    assert _run("sma", 1) == [10.0, 20.0, 20.0, 30.0, 60.0]


def test_empty_window_gives_none() -> None:
    assert _run("sma", 2, [None, None, 4, None]) == [None, None, 4.0, 4.0]


def test_relative_stddev_is_zero_when_the_mean_is_not_positive() -> None:
    assert _run("smrsd", 2, [-5, 5, -20]) == [None, 0.0, 0.0]  # means 0 and -7.5


def test_rounding_of_fractional_values() -> None:
    # [1.5, 2.5, 4]: mean 2.6667; deviations -1.1667, -0.1667, 1.3333;
    # squares 1.3611 + 0.0278 + 1.7778 = 3.1667; variance 1.5833; stddev 1.2583
    values = [1.5, 2.5, 4]
    assert _run("sma", 3, values)[-1] == 2.67
    assert _run("smvar", 3, values)[-1] == 1.58
    assert _run("smstd", 3, values)[-1] == 1.26
    assert _run("wma", 3, values)[-1] == 3.0833  # (1 * 1.5 + 2 * 2.5 + 3 * 4) / 6 = 18.5 / 6
    assert _run("smrsd", 3, values)[-1] == 0.4719  # 1.2583 / 2.6667


def test_decimal_sources() -> None:
    values = [Decimal("1.10"), Decimal("2.20")]
    assert _run("sms", 2, values) == [Decimal("1.10"), Decimal("3.30")]  # exact, unrounded
    assert _run("sma", 2, values) == [1.1, 1.65]
    assert _run("smstd", 2, values) == [None, 0.78]  # |2.2 - 1.1| / sqrt(2) = 0.7778


def test_windows_are_kept_per_key() -> None:
    rows: list[dict[str, Any]] = [
        {"region": "east", "year": 2020, "amount": 1},
        {"region": "west", "year": 2020, "amount": 100},
        {"region": "east", "year": 2021, "amount": 3},
        {"region": "west", "year": 2021, "amount": 300},
        {"region": "east", "year": 2022, "amount": 5},
        {"year": 2022, "amount": 7},  # no region: its own window (key None)
    ]
    apply_post_aggregates(rows, [PostAggregateSpec("moving", "sms", "amount", 2)],
                          key_refs=["region"])
    # east: 1, 1+3, 3+5; west: 100, 100+300; None: 7
    assert [row["moving"] for row in rows] == [1, 100, 4, 400, 8, 7]


def test_composite_keys() -> None:
    rows = [{"s": s, "r": r, "v": v} for s, r, v in
            [(True, "a", 1), (False, "a", 2), (True, "a", 3), (True, "b", 4), (False, "a", 5)]]
    apply_post_aggregates(rows, [PostAggregateSpec("t", "sms", "v", 5)],
                          key_refs=["s", "r"])
    assert [row["t"] for row in rows] == [1, 2, 4, 4, 7]


def test_several_specs_in_order_one_using_another() -> None:
    rows: list[dict[str, Any]] = [{"amount": v} for v in (2, 4, 6, 8)]
    specs = [PostAggregateSpec("sum2", "sms", "amount", 2),
             PostAggregateSpec("avg_of_sum2", "sma", "sum2", 2),
             PostAggregateSpec("var3", "smvar", "amount", 3)]
    apply_post_aggregates(rows, specs, key_refs=[])
    assert [row["sum2"] for row in rows] == [2, 6, 10, 14]
    assert [row["avg_of_sum2"] for row in rows] == [2.0, 4.0, 8.0, 12.0]
    # variances of [2,4] = 2, [2,4,6] = 4, [4,6,8] = 4
    assert [row["var3"] for row in rows] == [None, 2.0, 4.0, 4.0]


def test_summary_row() -> None:
    summary: dict[str, Any] = {"amount_sum": 122}
    apply_post_aggregates([summary], [PostAggregateSpec("amount_sma", "sma", "amount_sum", 3),
                                      PostAggregateSpec("amount_std", "smstd", "amount_sum", 3)],
                          key_refs=[])
    assert summary == {"amount_sum": 122, "amount_sma": 122.0, "amount_std": None}


def test_no_rows() -> None:
    rows: list[dict[str, Any]] = []
    apply_post_aggregates(rows, [PostAggregateSpec("t", "sma", "v", 2)], key_refs=["k"])
    assert rows == []


def test_spec_validation() -> None:
    with pytest.raises(ArgumentError, match="Unknown post-aggregation function 'median'"):
        PostAggregateSpec("t", "median", "v", 2)
    for size in (0, -1, True, 2.5, "3"):
        with pytest.raises(ModelError):
            PostAggregateSpec("t", "sma", "v", size)  # type: ignore[arg-type]


@pytest.mark.parametrize(("aggregate_size", "level_info", "expected"), [
    (5, {"aggregation_units": 3}, 5),
    (None, {"aggregation_units": 3}, 3),
    (None, {"other": 1}, 1),
    (None, {}, 1),
    (None, None, 1),
    (1, None, 1),
])
def test_window_size_for(aggregate_size: int | None, level_info: dict[str, Any] | None,
                         expected: int) -> None:
    assert window_size_for(aggregate_size, level_info) == expected


@pytest.mark.parametrize(("aggregate_size", "level_info"), [
    (0, None), (-2, None), (None, {"aggregation_units": "3"}),
    (None, {"aggregation_units": 0}), (None, {"aggregation_units": 1.5}),
])
def test_window_size_for_rejects(aggregate_size: int | None,
                                 level_info: dict[str, Any] | None) -> None:
    with pytest.raises(ModelError):
        window_size_for(aggregate_size, level_info)
