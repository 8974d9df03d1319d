"""``/model`` and ``/cubes`` bodies of the hello-world cube, against slicer-api.md §1.5/§1.6."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubus.model.catalog import Catalog, ModelSpec
from kubus.model.loading import build_cube
from kubus.model.metadata import Cube
from kubus.model.serialize import cube_list_item, cube_to_dict

FEATURES = {
    "actions": ["aggregate", "fact", "members", "facts", "cell"],
    "aggregate_functions": ["sum", "count_nonempty", "count", "count_distinct", "min", "max",
                            "avg", "stddev", "variance"],
    "post_aggregate_functions": ["wma", "sma", "sms", "smstd", "smrsd", "smvar"],
}


def _attr(name: str, ref: str) -> dict:
    return {"name": name, "info": {}, "ref": ref, "locales": []}


# §1.6, with the elided "attributes": [...] of subcategory and "features" spelled out.
HELLO_WORLD_MODEL = {
    "name": "irbd_balance",
    "info": {"min_date": "2010-01-01", "max_date": "2010-12-31"},
    "label": "Irbd balance",
    "aggregates": [
        {"name": "amount_sum", "info": {}, "label": "Sum of Amount", "ref": "amount_sum",
         "function": "sum", "measure": "amount"},
        {"name": "double_amount_sum", "info": {}, "label": "double_amount_sum",
         "expression": "sum(double_amount)", "ref": "double_amount_sum"},
        {"name": "record_count", "info": {}, "label": "Record Count", "ref": "record_count",
         "function": "count"},
    ],
    "measures": [
        {"name": "amount", "info": {}, "label": "Amount", "ref": "amount"},
        {"name": "double_amount", "info": {}, "label": "Double Amount",
         "expression": "amount * 2", "ref": "double_amount"},
    ],
    "details": [],
    "dimensions": [
        {"name": "item", "info": {}, "default_hierarchy_name": "default",
         "levels": [
             {"name": "category", "info": {}, "label": "Category", "key": "category",
              "label_attribute": "category_label", "order_attribute": "category",
              "attributes": [_attr("category", "item.category"),
                             _attr("category_label", "item.category_label")]},
             {"name": "subcategory", "info": {}, "label": "Sub-category", "key": "subcategory",
              "label_attribute": "subcategory_label", "order_attribute": "subcategory",
              "attributes": [_attr("subcategory", "item.subcategory"),
                             _attr("subcategory_label", "item.subcategory_label")]},
             {"name": "line_item", "info": {}, "label": "Line Item", "key": "line_item",
              "label_attribute": "line_item", "order_attribute": "line_item",
              "attributes": [_attr("line_item", "item.line_item")]},
         ],
         "hierarchies": [{"name": "default", "info": {},
                          "levels": ["category", "subcategory", "line_item"]}],
         "is_flat": False, "has_details": True},
        {"name": "year", "info": {}, "default_hierarchy_name": "default", "role": "time",
         "levels": [
             {"name": "year", "info": {}, "role": "year", "key": "year",
              "label_attribute": "year", "order_attribute": "year",
              "attributes": [_attr("year", "year")]},
         ],
         "hierarchies": [{"name": "default", "info": {}, "levels": ["year"]}],
         "is_flat": True, "has_details": False},
    ],
    "features": FEATURES,
}


def _keys_in_order(value: object) -> object:
    """A structure whose equality also checks dict key order."""
    if isinstance(value, dict):
        return [(k, _keys_in_order(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_keys_in_order(v) for v in value]
    return value


@pytest.fixture(scope="module")
def hello_world_cube(hello_world_dir: Path) -> Cube:
    raw = json.loads((hello_world_dir / "model.json").read_text())
    return Catalog.from_models([ModelSpec(raw)]).cube("irbd_balance")


def test_model_matches_the_documented_example(hello_world_cube: Cube) -> None:
    body = cube_to_dict(hello_world_cube)
    assert body == HELLO_WORLD_MODEL
    assert _keys_in_order(body) == _keys_in_order(HELLO_WORLD_MODEL)


def test_model_round_trips_through_json(hello_world_cube: Cube) -> None:
    body = cube_to_dict(hello_world_cube)
    assert json.loads(json.dumps(body)) == body


def test_cube_list_item_uses_the_raw_name_as_label(hello_world_cube: Cube) -> None:
    item = cube_list_item(hello_world_cube)
    assert _keys_in_order(item) == _keys_in_order({
        "name": "irbd_balance", "label": "irbd_balance", "category": None,
        "info": {"min_date": "2010-01-01", "max_date": "2010-12-31"}})


def _cube(raw: dict, dimensions: dict | None = None) -> Cube:
    return build_cube(raw, dimensions or {})


def test_optional_keys_appear_only_when_set() -> None:
    cube = _cube(
        {"name": "sales", "label": "Sales", "description": "Order items", "category": "sd",
         "key": "sale_id", "dimensions": ["date"],
         "measures": [{"name": "qty", "format": "0", "order": "desc", "aggregates": ["sum"],
                       "window_size": 3}],
         "aggregates": [{"name": "qty_avg", "function": "avg", "measure": "qty",
                         "nonadditive": "time", "window_size": 2}],
         "details": [{"name": "order_no"}, {"name": "note", "label": "Remark",
                                             "locales": ["en", "sk"]}]},
        {"date": {"name": "date", "label": "Date", "description": "Order date",
                  "role": "time", "cardinality": "dense", "category": "time",
                  "levels": [{"name": "year", "label": "Year"},
                             {"name": "month", "order": "desc", "cardinality": "low",
                              "attributes": ["month", {"name": "month_name",
                                                       "label": "Name"}],
                              "label_attribute": "month_name"}],
                  "hierarchies": [{"name": "ym", "label": "Y/M", "description": "by month",
                                   "levels": ["year", "month"]}]}})
    body = cube_to_dict(cube)
    assert list(body) == ["name", "info", "label", "description", "category", "aggregates",
                          "measures", "details", "dimensions", "key", "features"]
    assert body["key"] == "sale_id"
    assert body["measures"] == [{"name": "qty", "info": {}, "label": "Qty", "format": "0",
                                 "order": "desc", "ref": "qty", "aggregates": ["sum"],
                                 "window_size": 3}]
    assert list(body["aggregates"][0]) == ["name", "info", "label", "ref", "function",
                                           "measure", "nonadditive", "window_size"]
    # The implicit label uses the measure's name, not its humanised label (§3.6).
    assert body["aggregates"][0]["label"] == "Average of qty"
    assert body["details"] == [
        {"name": "order_no", "info": {}, "label": "Order no", "ref": "order_no", "locales": []},
        {"name": "note", "info": {}, "label": "Remark", "ref": "note", "locales": ["en", "sk"]},
    ]
    dim = body["dimensions"][0]
    assert list(dim) == ["name", "info", "label", "description", "default_hierarchy_name",
                         "role", "cardinality", "category", "levels", "hierarchies", "is_flat",
                         "has_details"]
    assert dim["default_hierarchy_name"] == "ym"
    month = dim["levels"][1]
    assert list(month) == ["name", "info", "role", "key", "label_attribute", "order_attribute",
                           "order", "cardinality", "attributes"]
    assert (month["key"], month["label_attribute"], month["order_attribute"]) == (
        "month", "month_name", "month")
    assert month["attributes"][1] == {"name": "month_name", "info": {}, "label": "Name",
                                      "ref": "date.month_name", "locales": []}
    assert dim["hierarchies"] == [{"name": "ym", "info": {}, "label": "Y/M",
                                   "description": "by month", "levels": ["year", "month"]}]


def test_cube_without_measures_gets_fact_count() -> None:
    body = cube_to_dict(_cube({"name": "events", "dimensions": []}))
    assert body["aggregates"] == [{"name": "fact_count", "info": {}, "label": "Count",
                                   "ref": "fact_count", "function": "count"}]


def test_hierarchy_limits_truncate_or_drop(hello_world_cube: Cube) -> None:
    body = cube_to_dict(hello_world_cube,
                        hierarchy_limits=[("item", "default", "subcategory")])
    assert body["dimensions"][0]["hierarchies"][0]["levels"] == ["category", "subcategory"]
    # A limit without a hierarchy applies to the default one (defect 23 FIX).
    body = cube_to_dict(hello_world_cube, hierarchy_limits=[("item", None, "category")])
    assert body["dimensions"][0]["hierarchies"][0]["levels"] == ["category"]
    body = cube_to_dict(hello_world_cube, hierarchy_limits=[("year", None, None)])
    assert body["dimensions"][1]["hierarchies"] == []
    # Limits never touch the levels list itself.
    assert [lv["name"] for lv in body["dimensions"][0]["levels"]] == [
        "category", "subcategory", "line_item"]
