"""The Cubes hello-world example over HTTP: ``/aggregate`` (§1.7, §7.2/§7.3 numbers).

Together the ``test_slicer_http_*`` modules check every number of slicer-api.md §7.2/§7.3 and
the response shapes of §1.3-§1.14, on each backend of the matrix, against a real Kubus server
(waitress, from ``slicer_http_support``). The expected values are the published Cubes 1.1
results, not Kubus output.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from slicer_http_support import CUBE, WHOLE_SUMMARY, Server, json_of

pytest_plugins = ["slicer_http_support"]

AGGREGATES = ["amount_sum", "double_amount_sum", "record_count"]


def cells_of(server: Server, **params: Any) -> list[dict[str, Any]]:
    body = json_of(server.get(f"{CUBE}/aggregate", params))
    return body["cells"]


def by_key(cells: list[dict[str, Any]], *keys: str) -> dict[Any, dict[str, Any]]:
    return {tuple(c[k] for k in keys) if len(keys) > 1 else c[keys[0]]: c for c in cells}


# -- §1.7 aggregate: shapes ----------------------------------------------------------------------

def test_aggregate_whole_cube_exact(slicer: Server) -> None:
    assert slicer.get(f"{CUBE}/aggregate").text == (
        '{"summary": {"amount_sum": 1116860, "double_amount_sum": 2233720, "record_count": 62},'
        ' "remainder": {}, "cells": [], "aggregates": ["amount_sum", "double_amount_sum", '
        '"record_count"], "cell": [], "attributes": [], "has_split": false}')


def test_aggregate_by_year_exact(slicer: Server) -> None:
    assert slicer.get(f"{CUBE}/aggregate", {"drilldown": "year"}).text == (
        '{"summary": {"amount_sum": 1116860, "double_amount_sum": 2233720, "record_count": 62},'
        ' "remainder": {}, "cells": [{"year": 2009, "amount_sum": 550840, "double_amount_sum":'
        ' 1101680, "record_count": 31}, {"year": 2010, "amount_sum": 566020, '
        '"double_amount_sum": 1132040, "record_count": 31}], "total_cell_count": 2, '
        '"aggregates": ["amount_sum", "double_amount_sum", "record_count"], "cell": [], '
        '"levels": {"year": ["year"]}, "attributes": ["year"], "has_split": false}')


def test_aggregate_equity_by_subcategory_exact(slicer: Server) -> None:
    body = json_of(slicer.get(f"{CUBE}/aggregate", {"drilldown": "item", "cut": "item:e"}))

    def cell(sub: str, label: str, amount: int) -> dict[str, Any]:
        return {"item.category": "e", "item.category_label": "Equity", "item.subcategory": sub,
                "item.subcategory_label": label, "amount_sum": amount,
                "double_amount_sum": 2 * amount, "record_count": 2}

    expected = {
        "summary": {"amount_sum": 77592, "double_amount_sum": 155184, "record_count": 8},
        "remainder": {},
        "cells": [cell("cs", "Capital Stock", 22983), cell("da", "Deferred Amounts", 672),
                  cell("oe", "Other", -4726), cell("re", "Retained Earnings", 58663)],
        "total_cell_count": 4,
        "aggregates": AGGREGATES,
        "cell": [{"type": "point", "dimension": "item", "hierarchy": "default",
                  "level_depth": 1, "invert": False, "hidden": False, "path": ["e"]}],
        "levels": {"item": ["category", "subcategory"]},
        "attributes": ["item.category", "item.category_label", "item.subcategory",
                       "item.subcategory_label"],
        "has_split": False,
    }
    assert json.dumps(body) == json.dumps(expected)  # key order too


def test_aggregate_split_by_year(slicer: Server) -> None:
    body = json_of(slicer.get(f"{CUBE}/aggregate", {"drilldown": "year", "split": "item:a"}))
    assert [(c["year"], c["__within_split__"], c["amount_sum"], c["record_count"])
            for c in body["cells"]] == [(2009, False, 275420, 15), (2010, False, 283010, 15),
                                        (2009, True, 275420, 16), (2010, True, 283010, 16)]
    assert list(body["cells"][0]) == ["year", "__within_split__", *AGGREGATES]
    assert body["total_cell_count"] == 4
    assert body["levels"] == {"year": ["year"], "__within_split__": ["__within_split__"]}
    assert body["attributes"] == ["year"]
    assert body["has_split"] is True


def test_aggregate_split_without_drilldown(slicer: Server) -> None:
    cells = cells_of(slicer, split="item:a")
    assert [(c["__within_split__"], c["amount_sum"], c["record_count"]) for c in cells] == [
        (False, 558430, 30), (True, 558430, 32)]


# -- §7.2 / §7.3 numbers -------------------------------------------------------------------------

def test_tutorial_numbers(slicer: Server) -> None:
    assert json_of(slicer.get(f"{CUBE}/aggregate"))["summary"] == WHOLE_SUMMARY
    years = by_key(cells_of(slicer, drilldown="year"), "year")
    assert {y: (c["record_count"], c["amount_sum"]) for y, c in years.items()} == {
        2009: (31, 550840), 2010: (31, 566020)}
    items = cells_of(slicer, drilldown="item")
    assert [(c["item.category"], c["item.category_label"], c["record_count"], c["amount_sum"])
            for c in items] == [("a", "Assets", 32, 558430), ("e", "Equity", 8, 77592),
                                ("l", "Liabilities", 22, 480838)]


def test_server_doc_aggregate_example(slicer: Server) -> None:
    body = json_of(slicer.get(f"{CUBE}/aggregate", {"drilldown": "year", "cut": "item:a"}))
    assert [(c["year"], c["record_count"], c["amount_sum"]) for c in body["cells"]] == [
        (2009, 16, 275420), (2010, 16, 283010)]
    assert (body["summary"]["record_count"], body["summary"]["amount_sum"]) == (32, 558430)


def test_drilldown_two_dimensions(slicer: Server) -> None:
    body = json_of(slicer.get(f"{CUBE}/aggregate?drilldown=item|year&aggregates=amount_sum"))
    assert [(c["item.category"], c["year"], c["amount_sum"]) for c in body["cells"]] == [
        ("a", 2009, 275420), ("a", 2010, 283010), ("e", 2009, 40037), ("e", 2010, 37555),
        ("l", 2009, 235383), ("l", 2010, 245455)]
    assert body["total_cell_count"] == 6
    assert body["aggregates"] == ["amount_sum"]
    assert list(body["cells"][0]) == ["item.category", "item.category_label", "year",
                                      "amount_sum"]


def test_repeated_parameters_and_paging(slicer: Server) -> None:
    body = json_of(slicer.get(
        f"{CUBE}/aggregate?drilldown=item&drilldown=year&aggregates=amount_sum"
        "&aggregates=record_count&page=0&pagesize=2"))
    assert [(c["item.category"], c["year"], c["amount_sum"], c["record_count"])
            for c in body["cells"]] == [("a", 2009, 275420, 16), ("a", 2010, 283010, 16)]
    assert body["total_cell_count"] == 6


def test_comma_separated_drilldown_is_accepted(slicer: Server) -> None:
    assert len(cells_of(slicer, drilldown="item,year")) == 6  # defect 2: a superset of 1.1


def test_equity_subcategories(slicer: Server) -> None:
    cells = cells_of(slicer, drilldown="item", cut="item:e")
    assert [(c["item.subcategory"], c["amount_sum"], c["record_count"]) for c in cells] == [
        ("cs", 22983, 2), ("da", 672, 2), ("oe", -4726, 2), ("re", 58663, 2)]


def test_line_items(slicer: Server) -> None:
    body = json_of(slicer.get(f"{CUBE}/aggregate", {"drilldown": "item:line_item"}))
    assert len(body["cells"]) == 31
    assert body["total_cell_count"] == 31
    assert body["levels"] == {"item": ["category", "subcategory", "line_item"]}


@pytest.mark.parametrize(("cut", "summary", "categories"), [
    ("!item:a", (558430, 30), ["e", "l"]),
    ("item:a;e", (636022, 40), ["a", "e"]),
    ("!item:a;e", (480838, 22), ["l"]),
    ("item:e-l", (558430, 30), ["e", "l"]),
    ("item:e-", (558430, 30), ["e", "l"]),
    ("item:-e", (636022, 40), ["a", "e"]),
    ("year:2009-2010", (1116860, 62), ["a", "e", "l"]),
])
def test_cut_kinds(slicer: Server, cut: str, summary: tuple[int, int],
                   categories: list[str]) -> None:
    body = json_of(slicer.get(f"{CUBE}/aggregate", {"cut": cut, "drilldown": "item"}))
    assert (body["summary"]["amount_sum"], body["summary"]["record_count"]) == summary
    if not cut.startswith("item"):
        assert [c["item.category"] for c in body["cells"]] == categories
        return
    # An implicit drilldown only goes one level down for a (non-inverted) point cut.
    assert sorted({c["item.category"] for c in body["cells"]}) == categories


def test_inverted_cut_cells(slicer: Server) -> None:
    cells = cells_of(slicer, drilldown="item", cut="!item:a")
    assert [(c["item.category"], c["amount_sum"], c["record_count"]) for c in cells] == [
        ("e", 77592, 8), ("l", 480838, 22)]


def test_hierarchical_range(slicer: Server) -> None:
    body = json_of(slicer.get(f"{CUBE}/aggregate", {
        "cut": "item:a,da-e,da", "drilldown": "item:subcategory", "aggregates": "record_count"}))
    assert body["summary"] == {"record_count": 36}
    assert len(body["cells"]) == 11
    equity = [c["item.subcategory"] for c in body["cells"] if c["item.category"] == "e"]
    assert equity == ["cs", "da"]


@pytest.mark.parametrize(("order", "expected"), [
    ("amount_sum:desc", ["a", "l", "e"]),
    ("item.category_label:desc,record_count", ["l", "e", "a"]),
])
def test_aggregate_order(slicer: Server, order: str, expected: list[str]) -> None:
    cells = cells_of(slicer, drilldown="item", order=order)
    assert [c["item.category"] for c in cells] == expected


def test_empty_cell(slicer: Server) -> None:
    body = json_of(slicer.get(f"{CUBE}/aggregate", {"cut": "year:today"}))
    assert body["summary"] == {"amount_sum": 0, "double_amount_sum": None, "record_count": 0}


def test_measures_parameter(slicer: Server) -> None:
    body = json_of(slicer.get(f"{CUBE}/aggregate", {"measures": "amount"}))
    assert body["aggregates"] == ["amount_sum"]  # defect 3: every aggregate of the measure
    assert body["summary"] == {"amount_sum": 1116860}
