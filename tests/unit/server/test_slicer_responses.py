"""Streamed Slicer bodies: small ones go out whole, large ones in chunks, same bytes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from kubus.server.slicer.encoding import dumps
from kubus.server.slicer.responses import SMALL_BODY, Responder


def _rows(count: int, closed: list[bool]) -> Iterator[dict[str, Any]]:
    try:
        for i in range(count):
            yield {"id": i, "name": "x" * 40}
    finally:
        closed.append(True)


@pytest.mark.parametrize("count", [0, 3, 20_000])
def test_records_body_is_the_same_whole_or_streamed(count: int) -> None:
    closed: list[bool] = []
    response = Responder().records(_rows(count, closed))
    expected = dumps([{"id": i, "name": "x" * 40} for i in range(count)])
    large = len(expected) > SMALL_BODY
    assert response.is_streamed is large
    assert closed == ([] if large else [True])  # a small body's rows are read and released
    assert response.get_data(as_text=True) == expected
    assert closed == [True]
    if not large:
        assert response.content_length == len(expected)


def test_records_are_limited_and_the_source_closed() -> None:
    closed: list[bool] = []
    response = Responder(limit=2).records(_rows(10, closed))
    assert json.loads(response.get_data(as_text=True)) == [
        {"id": 0, "name": "x" * 40}, {"id": 1, "name": "x" * 40}]
    assert closed == [True]


def test_an_error_in_a_small_body_is_raised_not_truncated() -> None:
    def broken() -> Iterator[dict[str, Any]]:
        yield {"id": 1}
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError, match="went away"):
        Responder().records(broken())
