"""The shipped business-content model: valid, served, with conformed and role-playing dims.

``kubus model validate`` must report no error and no warning on the file the server ships
(``kubus/config/models/business.json``), and every cube of the issue must be served with the
KPIs and dimensions docs/business-content.md describes.
"""

from __future__ import annotations

import json

import pytest
from business_data import MODEL, Slicer
from click.testing import CliRunner

from kubus.model.validation import validate_model
from kubus.server.cli import main

pytest_plugins = ["business_support"]

CUBES = ["sales", "deliveries", "billing", "open_items", "availability", "stock",
         "procurement", "goods_receipts", "interactions", "customers"]
DATE_HIERARCHIES = ["ymd", "weekly", "fiscal"]


def test_kubus_model_validate_finds_no_error_and_no_warning() -> None:
    result = CliRunner().invoke(main, ["model", "validate", str(MODEL)])
    assert result.exit_code == 0, result.output
    assert "Errors         0" in result.output
    assert "Warning        0" in result.output
    problems = validate_model(json.loads(MODEL.read_text()))
    assert [p for p in problems if p.severity != "default"] == []


def test_every_cube_of_the_issue_is_served(bc: Slicer) -> None:
    names = [c["name"] for c in bc.get("/cubes")]
    assert sorted(names) == sorted(CUBES)
    issue = {"sales", "deliveries", "billing", "availability", "stock", "procurement",
             "interactions", "customers"}
    assert issue <= set(names)


@pytest.mark.parametrize("cube", CUBES)
def test_every_aggregate_computes(bc: Slicer, cube: str) -> None:
    model = bc.get(f"/cube/{cube}/model")
    names = [a["name"] for a in model["aggregates"]]
    summary = bc.summary(cube)
    assert list(summary) == names
    # The data set has rows in every cube, so no KPI may come out empty.
    assert all(summary[n] is not None for n in names), summary


@pytest.mark.parametrize("cube", CUBES)
def test_every_attribute_maps_to_a_column(bc: Slicer, cube: str) -> None:
    # /facts selects every attribute of every dimension, every detail and measure: each
    # mapping and join of the cube runs against the real tables.
    model = bc.get(f"/cube/{cube}/model")
    facts = bc.get(f"/cube/{cube}/facts", page=0, pagesize=2)
    refs = {a["ref"] for d in model["dimensions"] for lv in d["levels"] for a in lv["attributes"]}
    refs |= {m["name"] for m in model["measures"]} | {d["name"] for d in model["details"]}
    assert len(facts) == 2 and refs <= set(facts[0]), refs - set(facts[0])


def test_date_roles_share_the_conformed_date_dimension(bc: Slicer) -> None:
    dims = {d["name"]: d for d in bc.get("/cube/deliveries/model")["dimensions"]}
    roles = ["gi_date", "planned_gi_date", "delivery_date", "created_date", "order_date",
             "requested_date"]
    for role in roles:
        assert [h["name"] for h in dims[role]["hierarchies"]] == DATE_HIERARCHIES
        assert dims[role]["default_hierarchy_name"] == "ymd"
        assert dims[role]["role"] == "time"
    assert dims["gi_date"]["label"] == "Goods Issue Date"
    levels = {lv["name"]: lv for lv in dims["order_date"]["levels"]}
    assert levels["iso_week"]["role"] == "isoweek" and levels["month"]["role"] == "month"


def test_conformed_dimensions_have_the_issue_hierarchies(bc: Slicer) -> None:
    dims = {d["name"]: d for d in bc.get("/cube/sales/model")["dimensions"]}
    hierarchy = {name: dims[name]["hierarchies"][0]["levels"] for name in ("customer", "product")}
    assert hierarchy == {"customer": ["region", "country", "customer"],
                         "product": ["category", "subcategory", "product"]}
    customer_level = dims["customer"]["levels"][-1]
    attributes = {a["name"] for a in customer_level["attributes"]}
    assert {"segment", "district"} <= attributes
    for cube, dims_wanted in {"sales": {"plant", "channel", "source_system"},
                              "deliveries": {"route", "plant"},
                              "procurement": {"vendor", "plant"},
                              "interactions": {"channel", "source_system"}}.items():
        have = {d["name"] for d in bc.get(f"/cube/{cube}/model")["dimensions"]}
        assert dims_wanted <= have, cube
