"""The Cubes hello-world example served over HTTP by a real Kubus server (waitress).

Every number of slicer-api.md §7.2/§7.3 and the response shapes of §1.3-§1.14, on each backend
of the matrix. The expected values are the published Cubes 1.1 results, not Kubus output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from conftest import Backend, load_hello_world
from hypothesis import given, settings
from hypothesis import strategies as st

from kubus.config.settings import load_settings, with_overrides
from kubus.model.catalog import Catalog, ModelSpec
from kubus.model.serialize import cube_to_dict
from kubus.server.app import create_app
from kubus.server.workspace import Workspace

CUBE = "/cube/irbd_balance"
AGGREGATES = ["amount_sum", "double_amount_sum", "record_count"]
WHOLE_SUMMARY = {"amount_sum": 1116860, "double_amount_sum": 2233720, "record_count": 62}


# -- a real server in a thread ------------------------------------------------------------------

class Server:
    """waitress serving ``create_app(workspace)`` on a free port until :meth:`stop`."""

    def __init__(self, workspace: Workspace) -> None:
        from waitress.server import create_server

        self.workspace = workspace
        self.server: Any = create_server(create_app(workspace), host="127.0.0.1", port=0,
                                         threads=4)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        self.session = requests.Session()

    def get(self, path: str, params: Any = None, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url + path, params=params, timeout=60, **kwargs)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.url + path, timeout=60, **kwargs)

    def stop(self) -> None:
        from waitress import wasyncore

        # Close the sockets from inside the loop thread; the loop ends when its map is empty.
        socket_map = self.server._map
        self.server.trigger.pull_trigger(lambda: wasyncore.close_all(socket_map))
        self.thread.join(10)
        assert not self.thread.is_alive(), "the test server did not stop"
        self.server.task_dispatcher.shutdown()
        self.session.close()
        self.workspace.close()


def _settings(url: str, model: Path, **overrides: Any) -> Any:
    base = load_settings(None, environ={})
    return with_overrides(base, models=[str(model)], store_url=url, timezone="UTC",
                          **overrides)


@pytest.fixture(scope="module")
def servers(hello_world_backend: Backend, hello_world_dir: Path
            ) -> Iterator[Callable[..., Server]]:
    """Start (once per settings) servers over the hello-world backend of this module."""
    started: dict[tuple[tuple[str, Any], ...], Server] = {}

    def start(**overrides: Any) -> Server:
        key = tuple(sorted(overrides.items()))
        if key not in started:
            settings = _settings(hello_world_backend.url, hello_world_dir / "model.json",
                                 **overrides)
            started[key] = Server(Workspace.from_settings(settings))
        return started[key]

    yield start
    for server in started.values():
        server.stop()


@pytest.fixture(scope="module")
def slicer(servers: Callable[..., Server]) -> Server:
    return servers(allow_cors_origin="*")


def json_of(response: requests.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    return response.json()


def cells_of(server: Server, **params: Any) -> list[dict[str, Any]]:
    body = json_of(server.get(f"{CUBE}/aggregate", params))
    return body["cells"]


def by_key(cells: list[dict[str, Any]], *keys: str) -> dict[Any, dict[str, Any]]:
    return {tuple(c[k] for k in keys) if len(keys) > 1 else c[keys[0]]: c for c in cells}


# -- §1.3-§1.6 -------------------------------------------------------------------------------

def test_version(slicer: Server) -> None:
    response = slicer.get("/version")
    assert response.text == '{"version": "1.1", "server_version": "1.1", "api_version": 2}'


def test_info_without_info_section(slicer: Server) -> None:
    assert slicer.get("/info").text == (
        '{"json_record_limit": 1000, "cubes_version": "1.1", "timezone": "UTC", '
        '"first_weekday": 0, "api_version": 2, "authentication": {"type": "none"}}')


def test_cubes(slicer: Server) -> None:
    assert slicer.get("/cubes").text == (
        '[{"name": "irbd_balance", "label": "irbd_balance", "category": null, '
        '"info": {"min_date": "2010-01-01", "max_date": "2010-12-31"}}]')


def test_model(slicer: Server, hello_world_dir: Path) -> None:
    body = json_of(slicer.get(f"{CUBE}/model"))
    raw = json.loads((hello_world_dir / "model.json").read_text())
    expected = cube_to_dict(Catalog.from_models([ModelSpec(raw)]).cube("irbd_balance"))
    assert body == expected
    assert list(body) == ["name", "info", "label", "aggregates", "measures", "details",
                          "dimensions", "features"]
    assert body["label"] == "Irbd balance"
    assert [a["label"] for a in body["aggregates"]] == [
        "Sum of Amount", "double_amount_sum", "Record Count"]
    category = body["dimensions"][0]["levels"][0]
    assert (category["key"], category["label_attribute"], category["order_attribute"]) == (
        "category", "category_label", "category")
    assert body["dimensions"][1]["levels"][0]["role"] == "year"


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


# -- §1.8-§1.10 ----------------------------------------------------------------------------------

def test_facts_of_equity(slicer: Server) -> None:
    facts = json_of(slicer.get(f"{CUBE}/facts", {"cut": "item:e"}))
    assert sorted(f["__fact_key__"] for f in facts) == list(range(55, 63))
    assert list(facts[0]) == [
        "__fact_key__", "item.category", "item.category_label", "item.subcategory",
        "item.subcategory_label", "item.line_item", "year", "amount", "double_amount"]


def test_facts_pagination_needs_both_parameters(slicer: Server) -> None:
    facts = json_of(slicer.get(f"{CUBE}/facts", {"order": "amount:desc", "pagesize": 2}))
    assert len(facts) == 62
    assert (facts[0]["__fact_key__"], facts[0]["amount"]) == (33, 128577)


def test_facts_example_exact(slicer: Server) -> None:
    response = slicer.get(f"{CUBE}/facts", {
        "cut": "item:e", "fields": "item.category,amount,year", "order": "amount:desc",
        "page": 1, "pagesize": 3})
    assert response.text == (
        '[{"__fact_key__": 56, "item.category": "e", "amount": 11491, "year": 2009}, '
        '{"__fact_key__": 58, "item.category": "e", "amount": 359, "year": 2009}, '
        '{"__fact_key__": 57, "item.category": "e", "amount": 313, "year": 2010}]')


def test_single_fact(slicer: Server) -> None:
    fact = json_of(slicer.get(f"{CUBE}/fact/5"))
    assert fact["__fact_key__"] == 5  # defect 6: 1.1 returned the first fact
    assert fact == {"__fact_key__": 5, "item.category": "a", "item.category_label": "Assets",
                    "item.subcategory": "i", "item.subcategory_label": "Investments",
                    "item.line_item": "Trading", "year": 2010, "amount": 36012,
                    "double_amount": 72024}


def test_missing_fact(slicer: Server) -> None:
    response = slicer.get(f"{CUBE}/fact/999")
    assert response.status_code == 404
    assert response.text == json.dumps({"error": {
        "message": "No fact with id '999'", "type": "object_not_found", "object": "999",
        "object_type": "fact"}}, indent=4)


def test_members_exact(slicer: Server) -> None:
    assert slicer.get(f"{CUBE}/members/item", {"depth": 1}).text == (
        '{"dimension": "item", "hierarchy": "default", "depth": 1, "data": ['
        '{"item.category": "a", "item.category_label": "Assets"}, '
        '{"item.category": "e", "item.category_label": "Equity"}, '
        '{"item.category": "l", "item.category_label": "Liabilities"}]}')
    assert slicer.get(f"{CUBE}/members/year").text == (
        '{"dimension": "year", "hierarchy": "default", "depth": 1, "data": '
        '[{"year": 2009}, {"year": 2010}]}')


def test_members_at_level_with_cut(slicer: Server) -> None:
    body = json_of(slicer.get(f"{CUBE}/members/item", {"level": "subcategory",
                                                       "cut": "item:e"}))
    assert body["depth"] == 2
    assert [(m["item.category"], m["item.subcategory"], m["item.subcategory_label"])
            for m in body["data"]] == [
        ("e", "cs", "Capital Stock"), ("e", "da", "Deferred Amounts"), ("e", "oe", "Other"),
        ("e", "re", "Retained Earnings")]


def test_members_order_is_honoured(slicer: Server) -> None:
    body = json_of(slicer.get(f"{CUBE}/members/item", {"depth": 1,
                                                       "order": "item.category:desc"}))
    assert [m["item.category"] for m in body["data"]] == ["l", "e", "a"]


# -- §1.11 cell ----------------------------------------------------------------------------------

def test_cell_without_cut(slicer: Server) -> None:
    assert slicer.get(f"{CUBE}/cell").text == '{"cube": "irbd_balance", "cuts": []}'


def test_cell_point_exact(slicer: Server) -> None:
    assert json.dumps(json_of(slicer.get(f"{CUBE}/cell", {"cut": "item:e,da"}))) == json.dumps(
        {"cube": "irbd_balance", "cuts": [{
            "type": "point", "dimension": "item", "hierarchy": "default", "level_depth": 2,
            "invert": False, "hidden": False, "path": ["e", "da"],
            "details": [{"item.category": "e", "item.category_label": "Equity", "_key": "e",
                         "_label": "Equity"},
                        {"item.subcategory": "da", "item.subcategory_label": "Deferred Amounts",
                         "_key": "da", "_label": "Deferred Amounts"}]}]})


def test_cell_server_doc_example(slicer: Server) -> None:
    cut = json_of(slicer.get(f"{CUBE}/cell", {"cut": "item:a"}))["cuts"][0]
    assert cut["details"] == [{"item.category": "a", "item.category_label": "Assets",
                               "_key": "a", "_label": "Assets"}]


def test_cell_range_and_set(slicer: Server) -> None:
    assets = [{"item.category": "a", "item.category_label": "Assets", "_key": "a",
               "_label": "Assets"}]
    equity = [{"item.category": "e", "item.category_label": "Equity", "_key": "e",
               "_label": "Equity"}]
    cut = json_of(slicer.get(f"{CUBE}/cell", {"cut": "item:a-e"}))["cuts"][0]
    assert (cut["from"], cut["to"], cut["details"]) == (["a"], ["e"],
                                                        {"from": assets, "to": equity})
    cut = json_of(slicer.get(f"{CUBE}/cell", {"cut": "item:a;e"}))["cuts"][0]
    assert (cut["paths"], cut["details"]) == ([["a"], ["e"]], [assets, equity])


def test_cell_of_flat_dimension(slicer: Server) -> None:
    cut = json_of(slicer.get(f"{CUBE}/cell", {"cut": "year:2009"}))["cuts"][0]
    assert cut["details"] == [{"year": 2009, "_key": 2009, "_label": 2009}]  # defect 9


# -- §1.12 report --------------------------------------------------------------------------------

REPORT = {"queries": {
    "by_cat": {"query": "aggregate", "drilldown": ["item"], "aggregates": ["record_count"]},
    "years": {"query": "members", "dimension": "year", "depth": 1}}}


def test_report_example(slicer: Server) -> None:
    body = json_of(slicer.request("POST", f"{CUBE}/report", params={"cut": "item:e"},
                                  json=REPORT))
    assert list(body) == ["by_cat", "years"]
    assert body["by_cat"]["summary"] == {"record_count": 8}
    assert body["by_cat"]["remainder"] == {}
    assert [(c["item.subcategory"], c["record_count"]) for c in body["by_cat"]["cells"]] == [
        ("cs", 2), ("da", 2), ("oe", 2), ("re", 2)]
    assert body["by_cat"]["total_cell_count"] == 4
    assert body["years"] == [{"year": 2009}, {"year": 2010}]


def test_report_without_content_type_and_with_body_cell(slicer: Server) -> None:
    report = {"cell": [{"type": "range", "dimension": "year", "from": [2010], "to": [2010]}],
              "queries": {"total": {"query": "aggregate", "aggregates": ["amount_sum"]},
                          "facts": {"query": "facts", "fields": ["amount"], "order": [
                              ["amount", "desc"]], "page": 0, "page_size": 1},
                          "cell": {"query": "cell"}}}
    body = json_of(slicer.request("POST", f"{CUBE}/report", data=json.dumps(report),
                                  headers={"Content-Type": "text/plain"}))
    assert body["total"]["summary"] == {"amount_sum": 566020}
    assert body["total"]["cell"][0]["hierarchy"] is None  # a body cut names none (COMPAT)
    assert body["facts"] == [{"__fact_key__": 33, "amount": 128577}]
    assert body["cell"]["cuts"][0]["type"] == "range"


@pytest.mark.parametrize(("data", "status", "message"), [
    ("", 400, "no body"),
    ("{not json", 400, "not valid JSON"),
    ("[1]", 400, "JSON object"),
    ('{"cell": []}', 400, "does not contain 'queries' key"),
])
def test_report_bad_bodies_are_request_errors(slicer: Server, data: str, status: int,
                                               message: str) -> None:
    error = json_of(slicer.request("POST", f"{CUBE}/report", data=data), status)["error"]
    assert error["type"] == "request"
    assert message in error["message"]


@pytest.mark.parametrize(("query", "message"), [
    ({"query": "bogus"}, "Unknown report query 'bogus' for 'q'"),
    ({"drilldown": ["item"]}, "does not specify a query type"),
    ({"query": "aggregate", "rollup": "item"}, "rollup"),
    ({"query": "aggregate", "page": "x", "page_size": 2}, "page"),
])
def test_report_bad_queries(slicer: Server, query: dict[str, Any], message: str) -> None:
    body = json_of(slicer.request("POST", f"{CUBE}/report", json={"queries": {"q": query}}),
                   400)
    assert body["error"] == "unknown_user_error"
    assert message in body["message"]


# -- formats -------------------------------------------------------------------------------------

def assert_clean_csv(response: requests.Response, filename: str) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    raw = response.content
    assert b"\x00" not in raw
    if raw:
        assert raw.endswith(b"\r\n")
        assert raw.count(b"\n") == raw.count(b"\r\n")
    return raw.decode("utf-8")


@pytest.mark.parametrize(("header", "first"), [
    ("labels", "category,category_label,Sum of Amount,double_amount_sum,Record Count"),
    ("names", "item.category,item.category_label,amount_sum,double_amount_sum,record_count"),
    ("none", "a,Assets,558430,1116860,32"),
])
def test_aggregate_csv_headers(slicer: Server, header: str, first: str) -> None:
    text = assert_clean_csv(slicer.get(f"{CUBE}/aggregate", {
        "drilldown": "item", "format": "csv", "header": header}), "aggregate.csv")
    lines = text.split("\r\n")
    assert lines[0] == first
    assert lines[-2] == "l,Liabilities,480838,961676,22"
    assert len(lines) == (4 if header == "none" else 5)


def test_aggregate_csv_split_and_empty(slicer: Server) -> None:
    text = assert_clean_csv(slicer.get(f"{CUBE}/aggregate", {
        "split": "item:a", "format": "csv"}), "aggregate.csv")
    assert text == ("Matches Filters,Sum of Amount,double_amount_sum,Record Count\r\n"
                    "False,558430,1116860,30\r\nTrue,558430,1116860,32\r\n")
    # Without drilldown or split the body is empty (COMPAT, §9 #32).
    assert assert_clean_csv(slicer.get(f"{CUBE}/aggregate", {"format": "csv"}),
                            "aggregate.csv") == ""


def test_facts_csv(slicer: Server) -> None:
    text = assert_clean_csv(slicer.get(f"{CUBE}/facts", {"format": "csv"}), "facts.csv")
    lines = text.split("\r\n")
    assert lines[0] == ("__fact_key__,category,category_label,subcategory,subcategory_label,"
                        "line_item,year,Amount,Double Amount")
    assert len(lines) == 64  # header, 62 facts, final empty string
    names = assert_clean_csv(slicer.get(f"{CUBE}/facts", {
        "format": "csv", "header": "names", "cut": "item:e", "fields": "amount",
        "order": "amount:desc"}), "facts.csv")
    assert names.split("\r\n")[:3] == ["__fact_key__,amount", "60,29870", "59,28793"]


def test_members_csv_and_json_lines(slicer: Server) -> None:
    text = assert_clean_csv(slicer.get(f"{CUBE}/members/item", {
        "depth": 1, "format": "csv"}), "facts.csv")
    assert text == ("category,category_label\r\na,Assets\r\ne,Equity\r\nl,Liabilities\r\n")
    response = slicer.get(f"{CUBE}/members/year", {"format": "json_lines"})
    assert response.headers["Content-Type"] == "application/x-json-lines"
    assert response.text == '{"year": 2009}\n{"year": 2010}\n'


def test_facts_json_lines(slicer: Server) -> None:
    response = slicer.get(f"{CUBE}/facts", {"format": "json_lines"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/x-json-lines"
    lines = response.text.split("\n")
    assert lines[-1] == ""
    records = [json.loads(line) for line in lines[:-1]]
    assert len(records) == 62
    assert sum(r["amount"] for r in records) == 1116860


def test_prettyprint(slicer: Server) -> None:
    pretty = slicer.get("/version", {"prettyprint": "yes"}).text
    assert pretty == json.dumps({"version": "1.1", "server_version": "1.1", "api_version": 2},
                                indent=4)
    facts = slicer.get(f"{CUBE}/facts", {"prettyprint": "1", "cut": "item:e"}).text
    assert facts == json.dumps(json.loads(facts), indent=4)
    assert slicer.get("/version", {"prettyprint": "bogus"}).text.startswith('{"version"')


def test_prettyprint_default_and_record_limit(servers: Callable[..., Server]) -> None:
    server = servers(prettyprint=True, json_record_limit=5,
                     allow_cors_origin="http://allowed.example")
    assert server.get("/version").text.startswith("{\n    ")
    assert server.get("/version", {"prettyprint": "no"}).text.startswith('{"version"')
    # Defect 1 FIX: exactly json_record_limit items, not limit + 1.
    assert len(json_of(server.get(f"{CUBE}/facts"))) == 5
    body = json_of(server.get(f"{CUBE}/aggregate", {"drilldown": "item:line_item"}))
    assert (len(body["cells"]), body["total_cell_count"]) == (5, 31)
    assert len(json_of(server.get(f"{CUBE}/members/item"))["data"]) == 5
    lines = server.get(f"{CUBE}/facts", {"format": "json_lines"}).text.splitlines()
    assert len(lines) == 62  # json_lines has no limit
    response = server.get("/version", headers={"Origin": "http://other.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "http://allowed.example"


# -- authentication and server info (§1.4, §5.1) ------------------------------------------

def test_pass_parameter_identity_in_info(servers: Callable[..., Server]) -> None:
    server = servers(authentication="pass_parameter")
    body = json_of(server.get("/info", {"api_key": "alice"}))
    assert body["authentication"] == {"type": "pass_parameter", "identity": "alice",
                                      "username": "alice"}
    assert json_of(server.get("/info"))["authentication"] == {"type": "pass_parameter"}


def test_admin_admin_authentication(servers: Callable[..., Server]) -> None:
    server = servers(authentication="admin_admin")
    response = server.get("/cubes")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Default"'
    assert response.text == json.dumps({"error": {"message": None,
                                                  "type": "not_authenticated"}}, indent=4)
    assert server.get("/cubes", auth=("admin", "nope")).status_code == 401
    assert json_of(server.get("/cubes", auth=("admin", "admin")))[0]["name"] == "irbd_balance"


def test_info_section(tmp_path: Path, hello_world_backend: Backend,
                      hello_world_dir: Path) -> None:
    ini = tmp_path / "slicer.ini"
    ini.write_text(
        "[workspace]\ntimezone: UTC\n[server]\njson_record_limit: 5\n"
        "[info]\nlabel: Test Server\ndescription: Hello world data\nlicense: Public Domain\n"
        "visualizer: http://example.com/viz\n"
        f"[store]\ntype: sql\nurl: {hello_world_backend.url}\n"
        f"[models]\nmain: {hello_world_dir / 'model.json'}\n")
    server = Server(Workspace.from_settings(load_settings(ini, environ={})))
    try:
        assert server.get("/info").text == (
            '{"name": null, "label": "Test Server", "description": "Hello world data", '
            '"copyright": null, "license": "Public Domain", "maintainer": null, '
            '"contributors": null, "visualizers": [{"label": "Test Server", "url": '
            '"http://example.com/viz"}], "keywords": null, "related": null, '
            '"json_record_limit": 5, "cubes_version": "1.1", "timezone": "UTC", '
            '"first_weekday": 0, "api_version": 2, "authentication": {"type": "none"}}')
    finally:
        server.stop()


# -- CORS, debug, timing ---------------------------------------------------------------------

def test_cors_on_routed_requests(slicer: Server) -> None:
    response = slicer.get(f"{CUBE}/aggregate", headers={"Origin": "http://x.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "http://x.example"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
    assert response.headers["Access-Control-Max-Age"] == "1728000"
    assert "Access-Control-Allow-Headers" not in response.headers
    assert slicer.get("/version").headers["Access-Control-Allow-Origin"] == "*"
    # Errors of routed requests carry CORS too; unrouted URLs get none.
    assert "Access-Control-Allow-Origin" in slicer.get("/cube/nosuch/aggregate").headers
    assert "Access-Control-Allow-Origin" not in slicer.get("/nosuch").headers


def test_cors_preflight(slicer: Server) -> None:
    response = slicer.request("OPTIONS", "/cube/x/aggregate",
                              headers={"Origin": "http://x.example"})
    assert response.status_code == 200
    assert response.content == b""
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {
        "OPTIONS", "HEAD", "GET"}
    assert response.headers["Access-Control-Allow-Origin"] == "http://x.example"
    assert response.headers["Access-Control-Allow-Headers"] == "X-Requested-With"


def test_no_cors_without_the_setting(servers: Callable[..., Server]) -> None:
    server = servers()
    assert "Access-Control-Allow-Origin" not in server.get("/version").headers


def test_debug_and_server_timing(slicer: Server) -> None:
    response = slicer.get(f"{CUBE}/aggregate", {"drilldown": "year", "debug": "true"})
    body = json_of(response)
    assert list(body)[-1] == "debug"
    statements = body["debug"]["statements"]
    assert statements and all(set(s) == {"purpose", "sql", "seconds", "rows"}
                              for s in statements)
    assert "irbd_balance" in statements[0]["sql"]
    assert response.headers["Server-Timing"].startswith("db;dur=")
    facts = slicer.get(f"{CUBE}/facts", {"debug": "yes", "cut": "item:e"})
    assert len(json_of(facts)) == 8
    debug = json.loads(facts.headers["X-Kubus-Debug"])
    assert debug["statements"][0]["rows"] == 8
    plain = slicer.get(f"{CUBE}/aggregate")
    assert "debug" not in plain.json()
    assert "X-Kubus-Debug" not in plain.headers
    assert plain.headers["Server-Timing"].startswith("db;dur=")
    error = slicer.get(f"{CUBE}/aggregate", {"cut": "item:a-b-c"})
    assert error.headers["Server-Timing"].startswith("db;dur=")


# -- errors (§1.13) ------------------------------------------------------------------------------

def test_unknown_cube_on_model_is_nested(slicer: Server) -> None:
    response = slicer.get("/cube/nosuch/model")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.text == json.dumps({"error": {
        "message": "Unknown cube 'nosuch'", "type": "object_not_found", "object": "nosuch",
        "object_type": "cube"}}, indent=4)


def test_unknown_cube_on_data_endpoints_is_flat(slicer: Server) -> None:
    for path in ("aggregate", "facts", "fact/1", "members/item", "cell"):
        response = slicer.get(f"/cube/nosuch/{path}")
        assert response.status_code == 404
        assert response.text == ('{"error": "missing_object", "message": "Unknown cube '
                                 '\'nosuch\'", "object": "nosuch", "object_type": "cube"}')


FLAT_ERRORS = [
    ("aggregate", {"cut": "nosuch:a"}, 404, "missing_object",
     "cube 'irbd_balance' has no dimension 'nosuch'"),
    ("aggregate", {"drilldown": "nosuch"}, 404, "missing_object", "no dimension 'nosuch'"),
    ("aggregate", {"cut": "item@nosuch:a"}, 404, "missing_object", "hierarchy 'nosuch'"),
    ("aggregate", {"drilldown": "item@nosuch"}, 404, "missing_object", "hierarchy 'nosuch'"),
    ("members/item", {"hierarchy": "nosuch"}, 404, "missing_object", "hierarchy 'nosuch'"),
    ("members/nosuch", {}, 404, "missing_object", "no dimension 'nosuch'"),
    ("aggregate", {"drilldown": "item:nosuch"}, 400, "hierarchy",
     "Level nosuch is not part of hierarchy default"),
    ("members/item", {"level": "nosuch"}, 400, "hierarchy",
     "Level nosuch is not part of hierarchy default"),
    ("members/item", {"depth": "9"}, 400, "hierarchy", ""),
    ("aggregate", {"cut": "year:2009,1"}, 400, "hierarchy", "longer than hierarchy"),
    ("aggregate", {"drilldown": "item", "cut": "item:a,da,Derivative assets"}, 400,
     "hierarchy", "Hierarchy default in dimension item has only 3 levels, can not drill to 4"),
    ("aggregate", {"aggregates": "nosuch"}, 400, "unknown_user_error",
     "No measure aggregate ''nosuch'' in cube 'irbd_balance'"),
    ("aggregate", {"aggregates": ""}, 400, "unknown_user_error",
     "List of aggregates should not be empty"),
    ("aggregate", {"measures": "nosuch"}, 400, "unknown_user_error", "nosuch"),
    ("aggregate", {"order": "nonexistent"}, 400, "unknown_user_error",
     "Cube 'irbd_balance' has no attribute 'nonexistent'"),
    ("aggregate", {"drilldown": "item", "order": "year"}, 400, "unknown_user_error", "year"),
    ("aggregate", {"order": "amount_sum:up"}, 400, "unknown_user_error", "direction"),
    ("aggregate", {"cut": "item:a-b-c"}, 400, "unknown_user_error", "Unknown cut format"),
    ("aggregate", {"cut": "item:a:b"}, 400, "unknown_user_error",
     "Wrong dimension cut string: 'item:a:b'"),
    ("aggregate", {"cut": "item"}, 400, "unknown_user_error", "Wrong dimension cut string"),
    ("aggregate", {"cut": "!!item:a"}, 400, "unknown_user_error", "does not match pattern"),
    ("aggregate", {"drilldown": ""}, 400, "unknown_user_error", "should not be empty"),
    ("aggregate", {"drilldown": "!item"}, 400, "unknown_user_error", "drilldown"),
    ("aggregate", {"drilldown": "item.category"}, 400, "unknown_user_error", "unexpected"),
    ("aggregate", {"split": "item:a:b"}, 400, "unknown_user_error", "Wrong dimension"),
    ("facts", {"fields": "nosuch"}, 400, "unknown_user_error",
     "Unknown attribute 'nosuch' in cube 'irbd_balance'"),
    ("facts", {"order": "nosuch"}, 400, "unknown_user_error", "nosuch"),
    ("facts", {"fields": "amount", "order": "year"}, 400, "unknown_user_error", "year"),
    ("cell", {"cut": "nosuch:1"}, 404, "missing_object", "nosuch"),
]


@pytest.mark.parametrize(("path", "params", "status", "error", "message"), FLAT_ERRORS)
def test_flat_user_errors(slicer: Server, path: str, params: dict[str, str], status: int,
                          error: str, message: str) -> None:
    body = json_of(slicer.get(f"{CUBE}/{path}", params), status)
    assert body["error"] == error
    assert message in body["message"]
    assert list(body)[:2] == ["error", "message"]


NESTED_ERRORS = [
    ("aggregate", {"page": "x", "pagesize": "2"}, "page should be an integer"),
    ("aggregate", {"page": "1", "pagesize": "x"}, "pagesize should be an integer"),
    ("facts", {"page": "-1", "pagesize": "2"}, "page"),
    ("aggregate", {"format": "xml"}, "format"),
    ("aggregate", {"format": "json_lines"}, "format"),
    ("aggregate", {"header": "bogus"}, "header"),  # 400 even for JSON output
    ("facts", {"format": "xml"}, "format"),
    ("members/item", {"depth": "x"}, "depth should be an integer"),
    ("members/item", {"depth": "1", "level": "category"}, "Both depth and level"),
]


@pytest.mark.parametrize(("path", "params", "message"), NESTED_ERRORS)
def test_nested_request_errors(slicer: Server, path: str, params: dict[str, str],
                               message: str) -> None:
    response = slicer.get(f"{CUBE}/{path}", params)
    body = json_of(response, 400)
    assert body["error"]["type"] == "request"
    assert message in body["error"]["message"]
    assert response.text == json.dumps(body, indent=4)  # always indented


def test_unknown_urls_are_json(slicer: Server) -> None:
    expected = {"error": "not_found", "message": "The requested URL was not found on the "
                "server.", "hint": "If you entered the URL manually please check your spelling "
                "and try again."}
    for path in ("/nosuch", "/cubes/", "/cube/irbd_balance", "/cube/irbd_balance/nosuch"):
        assert json_of(slicer.get(path), 404) == expected
    body = json_of(slicer.request("POST", f"{CUBE}/aggregate"), 405)
    assert body["error"] == "method_not_allowed"
    assert json_of(slicer.get(f"{CUBE}/search", {"dimension": "item", "query": "a"}),
                   501)["error"] == "not_implemented"


def test_other_endpoints(slicer: Server) -> None:
    response = slicer.get("/logout")
    assert (response.status_code, response.text) == (200, "logged out")
    body = json_of(slicer.get("/visualizer/"), 404)
    assert body == {"error": {"message": "Visualizer not configured", "type": "not_found"}}
    index = slicer.get("/")
    assert index.status_code == 200
    assert "irbd_balance" in index.text


def test_visualizer_redirect(servers: Callable[..., Server]) -> None:
    server = servers(visualizer="http://viz.example/")
    response = server.get("/visualizer/", allow_redirects=False)
    assert (response.status_code, response.headers["Location"]) == (302,
                                                                    "http://viz.example/")


# -- random input never breaks the server ------------------------------------------------------

TOKENS = ["item", "year", "nosuch", ":", "|", ",", ";", "-", "!", "@", "\\", "a", "e", "l",
          "da", "2009", "2010", "__null__", "default", "category", "subcategory", "line_item",
          "today", "3yearsago", "lastmonth", "asc", "desc", "amount_sum", "record_count",
          "item.category", " ", "%", "'", '"', "x" * 40]
fragments = st.one_of(
    st.lists(st.sampled_from(TOKENS), max_size=12).map("".join),
    st.text(max_size=20),
)


@settings(max_examples=120, deadline=None)
@given(cut=fragments, drilldown=fragments, order=fragments,
       endpoint=st.sampled_from(["aggregate", "facts", "members/item", "cell"]))
def test_random_parameters_never_fail_the_server(slicer: Server, cut: str, drilldown: str,
                                                 order: str, endpoint: str) -> None:
    response = slicer.get(f"{CUBE}/{endpoint}", {"cut": cut, "drilldown": drilldown,
                                                 "order": order})
    assert response.status_code < 500, response.text
    assert response.headers["Content-Type"] == "application/json"
    response.json()


@pytest.mark.parametrize("cut", [
    "item:a\x00b",                   # PostgreSQL text cannot hold NUL bytes
    "year:99999999999999999999",     # beyond any integer column
    "year:2009-99999999999999999999",
    "item:\U0001f600",               # astral-plane character
])
@pytest.mark.parametrize("endpoint", ["aggregate", "facts", "members/item", "cell"])
def test_values_a_database_cannot_hold_are_client_errors(slicer: Server, cut: str,
                                                         endpoint: str) -> None:
    response = slicer.get(f"{CUBE}/{endpoint}", {"cut": cut})
    assert response.status_code < 500, response.text
    assert response.headers["Content-Type"] == "application/json"


# -- the command line ------------------------------------------------------------------------

def test_kubus_serve_command(tmp_path: Path, hello_world_dir: Path) -> None:
    """``kubus serve`` starts, prints its URL, answers, and stops cleanly on SIGTERM."""
    url = f"sqlite:///{tmp_path / 'hello.sqlite'}"
    engine = sa.create_engine(url)
    load_hello_world(engine, hello_world_dir)
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBUS_")}
    env["KUBUS_SERVER_ALLOW_CORS_ORIGIN"] = "*"
    process = subprocess.Popen(
        [sys.executable, "-m", "kubus.server.cli", "serve", "--model",
         str(hello_world_dir / "model.json"), "--store", url, "--host", "127.0.0.1",
         "--port", "0", "--threads", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Serving Kubus on http://127.0.0.1:"), (
            line + (process.stderr.read() if process.poll() is not None else ""))
        base = line.split(" on ", 1)[1].strip()
        response = requests.get(base + "cube/irbd_balance/aggregate", timeout=30)
        assert response.json()["summary"] == WHOLE_SUMMARY
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Kubus stopped." in out
