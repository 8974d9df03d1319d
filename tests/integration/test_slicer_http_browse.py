"""The Cubes hello-world example over HTTP: the other browsing endpoints and formats.

``/version``, ``/info``, ``/cubes``, ``/model`` (§1.3-§1.6), ``/facts``, ``/fact``,
``/members`` (§1.8-§1.10), ``/cell`` (§1.11), ``/report`` (§1.12) and the CSV, JSON lines
and pretty-printed output formats.

Together the ``test_slicer_http_*`` modules check every number of slicer-api.md §7.2/§7.3 and
the response shapes of §1.3-§1.14, on each backend of the matrix, against a real Kubus server
(waitress, from ``slicer_http_support``). The expected values are the published Cubes 1.1
results, not Kubus output.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from slicer_http_support import CUBE, Server, json_of

from kubus.model.catalog import Catalog, ModelSpec
from kubus.model.serialize import cube_to_dict

pytest_plugins = ["slicer_http_support"]


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
