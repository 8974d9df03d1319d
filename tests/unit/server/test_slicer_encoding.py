"""JSON, JSON-lines and CSV encoding of Slicer responses (slicer-api.md §1.1)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubus.server.slicer.encoding import (
    BATCH,
    dumps,
    dumps_jsonable,
    iter_csv,
    iter_json_array,
    iter_json_lines,
    jsonable,
    limited,
    number,
    record,
)


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("1116860"), 1116860), (Decimal("-4726"), -4726), (Decimal("24.4"), 24.4),
    (Decimal("5.0000"), 5.0), (Decimal("NaN"), None), (Decimal("Infinity"), None),
])
def test_decimal_numbers(value: Decimal, expected: object) -> None:
    got = number(value)
    assert got == expected
    assert type(got) is type(expected)


def test_jsonable_values() -> None:
    body = {"d": date(2010, 1, 2), "t": datetime(2010, 1, 2, 3, 4), "n": float("nan"),
            "i": float("inf"), "x": Decimal("3"), "nested": [(1, Decimal("0.5"))]}
    assert jsonable(body) == {"d": "2010-01-02", "t": "2010-01-02T03:04:00", "n": None,
                              "i": None, "x": 3, "nested": [[1, 0.5]]}


def test_compact_and_pretty_output_match_1_1() -> None:
    assert dumps({"a": [1, 2], "b": "é"}) == '{"a": [1, 2], "b": "\\u00e9"}'
    assert dumps({"a": 1}, pretty=True) == '{\n    "a": 1\n}'


rows = st.lists(st.dictionaries(st.text(max_size=5),
                                st.one_of(st.none(), st.booleans(), st.integers(),
                                          st.text(max_size=10)), max_size=4), max_size=5)


@given(rows, st.booleans())
def test_streamed_array_is_identical_to_dumps(data: list[dict], pretty: bool) -> None:
    assert "".join(iter_json_array(data, pretty=pretty)) == dumps(data, pretty=pretty)


def test_json_lines() -> None:
    text = "".join(iter_json_lines([{"a": 1}, {"a": Decimal("2.5")}]))
    assert text == '{"a": 1}\n{"a": 2.5}\n'


def test_limited_is_exact() -> None:
    assert list(limited(range(10), 5)) == [0, 1, 2, 3, 4]
    assert list(limited(range(3), 5)) == [0, 1, 2]
    assert list(limited(range(3), None)) == [0, 1, 2]


def test_csv_is_excel_dialect_without_nul_bytes() -> None:
    text = "".join(iter_csv(["a", "b,c", "flag"], [
        ["x", None, True], ["y\x00z", Decimal("10"), False], ['q"uote', 1.5, None]]))
    assert text == 'a,"b,c",flag\r\nx,,True\r\nyz,10,False\r\n"q""uote",1.5,\r\n'
    assert "\x00" not in text


def test_csv_without_header() -> None:
    assert "".join(iter_csv(None, [[2013, 100, 5]])) == "2013,100,5\r\n"
    assert "".join(iter_csv(None, [])) == ""


def test_json_round_trip_of_stream() -> None:
    data = [{"k": i, "v": Decimal(i) / 4} for i in range(4)]
    assert json.loads("".join(iter_json_array(data))) == [
        {"k": 0, "v": 0}, {"k": 1, "v": 0.25}, {"k": 2, "v": 0.5}, {"k": 3, "v": 0.75}]


@pytest.mark.parametrize("pretty", [False, True])
def test_streams_in_batches_identical_to_dumps(pretty: bool) -> None:
    data = [{"k": i, "v": Decimal(i) / 4, "d": date(2020, 1, 1 + i % 28)}
            for i in range(2 * BATCH + 7)]
    chunks = list(iter_json_array(data, pretty=pretty))
    assert len(chunks) == 4  # three batches and the closing bracket
    assert "".join(chunks) == dumps(jsonable(data), pretty=pretty)
    lines = "".join(iter_json_lines(data))
    assert lines.splitlines() == [dumps(jsonable(row)) for row in data]
    text = "".join(iter_csv(["k"], ([row["k"]] for row in data)))
    assert text == "k\r\n" + "".join(f"{i}\r\n" for i in range(len(data)))


values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5),
              st.decimals(), st.dates()),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.tuples(children, children),
        st.dictionaries(st.one_of(st.text(max_size=3), st.integers(), st.booleans(),
                                  st.none()), children, max_size=3)),
    max_leaves=12)


@given(values, st.booleans())
def test_dumps_jsonable_is_dumps_of_jsonable(value: object, pretty: bool) -> None:
    assert dumps_jsonable(value, pretty=pretty) == dumps(jsonable(value), pretty=pretty)


records = st.lists(st.dictionaries(st.text(max_size=3), values, max_size=3), max_size=4)


@given(records, st.booleans())
def test_streams_are_dumps_of_records(rows: list[dict], pretty: bool) -> None:
    safe = [record(row) for row in rows]
    assert "".join(iter_json_array(rows, pretty=pretty)) == dumps(safe, pretty=pretty)
    assert "".join(iter_json_lines(rows)) == "".join(dumps(row) + "\n" for row in safe)
