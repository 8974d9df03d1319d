"""The OpenAPI document: valid OpenAPI 3.1, served, and describing exactly the routes served.

(Every response the other API tests receive is also validated against this document by
``api_support``; here the request side is checked: documented bodies are what the decoder
accepts.)
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from kubus.config.settings import load_settings
from kubus.model.catalog import Catalog
from kubus.server.api.limits import oltp_limits
from kubus.server.api.registry import OPERATIONS, PREFIX, document
from kubus.server.api.typeschema import Problem
from kubus.server.app import create_app
from kubus.server.workspace import Workspace

if TYPE_CHECKING:
    import sqlalchemy as sa
    from api_support import ApiServer

pytest_plugins = ["api_support"]


def test_the_document_is_valid_openapi_3_1() -> None:
    spec = document()
    assert spec["openapi"].startswith("3.1")
    validate(spec)
    ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))


def _app(engine: sa.Engine) -> Any:
    workspace = Workspace(load_settings(None, environ={}), Catalog.from_models([]))
    return create_app(workspace, oltp=engine)


def test_every_route_is_documented_and_every_documented_route_served(
        tmp_path: Any) -> None:
    import sqlalchemy as sa

    app = _app(sa.create_engine(f"sqlite:///{tmp_path / 'unused.sqlite'}"))
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?(\w+)>", r"{\1}", rule.rule[len(PREFIX):])
        served |= {(method, path) for method in rule.methods or ()
                   if method not in ("HEAD", "OPTIONS")}
    documented = {(method.upper(), path) for path, item in document()["paths"].items()
                  for method in item}
    assert served == documented


def test_the_document_is_served(api: ApiServer) -> None:
    assert api.get("/openapi.json") == document()


def test_money_and_quantities_are_documented_as_decimal_strings() -> None:
    schemas = document()["components"]["schemas"]
    net_value = schemas["SalesOrder"]["properties"]["net_value"]
    assert net_value["type"] == "string" and "decimal" in net_value["description"]
    quantity = schemas["OrderItemInput"]["properties"]["quantity"]
    assert quantity["type"] == ["string", "number"]
    assert schemas["OrderItemInput"]["properties"]["material_id"]["maxLength"] == 18
    assert "decimal strings" in document()["info"]["description"]
    assert schemas["Error"]["properties"]["error"]["required"] == [
        "status", "code", "message", "details"]


def _request_validator(operation_id: str) -> tuple[Draft202012Validator, Any]:
    for path, item in document()["paths"].items():
        for method, op in item.items():
            if op["operationId"] == operation_id:
                pointer = "/".join(["", "paths", path.replace("/", "~1"), method,
                                    "requestBody", "content", "application~1json", "schema"])
                registry = Registry().with_resource("urn:api", Resource.from_contents(
                    document(), default_specification=DRAFT202012))
                declared = next(o for o in OPERATIONS if o.operation_id == operation_id)
                return (Draft202012Validator({"$ref": f"urn:api#{pointer}"},
                                             registry=registry), declared)
    raise AssertionError(operation_id)


GOOD = [
    ("createSalesOrder", {"sold_to": "C1", "requested_delivery_date": "2024-03-12",
                          "items": [{"material_id": "M1", "quantity": "100"},
                                    {"material_id": "M2", "quantity": 2.5,
                                     "net_price": "6.00", "plant": "1000"}],
                          "order_date": "2024-03-04", "customer_reference": "PO 17"}),
    ("createDelivery", {"order_id": 4711, "items": [{"order_item": 10, "quantity": "60"}]}),
    ("createInvoice", {"delivery_ids": [80017], "billing_date": "2024-03-12"}),
    ("postIncomingPayment", {"payer": "C1", "amount": "874.65", "currency": "EUR",
                             "billing_ids": [90031]}),
    ("createPurchaseOrder", {"vendor_id": "V100", "items": [
        {"material_id": "M2", "plant": "1000", "quantity": "200",
         "delivery_date": "2024-03-15", "schedule": [["2024-03-15", "150"],
                                                     ["2024-03-18", 50]]}]}),
    ("createMasterData", {"records": [{"type": "currency", "currency": "EUR",
                                       "name": "Euro"}]}),
    ("createCustomer", {"customer_id": "C1", "name": "Acme", "country": "DE",
                        "sales_areas": [{"sales_org": "1000", "distribution_channel": "10",
                                         "division": "00", "currency": "EUR",
                                         "payment_terms": "ZB10", "payer": "C2"}]}),
    ("changeSalesOrderItem", {"quantity": "5", "expected_version": 2}),
    ("postGoodsIssue", {}),
]
BAD = [
    ("createSalesOrder", {"sold_to": "C1", "requested_delivery_date": "2024-03-12",
                          "items": [{"material_id": "M1", "quantity": "1", "x": 1}]}),
    ("createSalesOrder", {"sold_to": "C1", "items": []}),
    ("createSalesOrder", {"sold_to": "C1", "requested_delivery_date": "12.03.2024",
                          "items": []}),
    ("createDelivery", {"order_id": "4711"}),
    ("postIncomingPayment", {"payer": "C1", "amount": "874.651", "currency": "EUR"}),
    ("postIncomingPayment", {"payer": "C1", "amount": True, "currency": "EUR"}),
    ("createMasterData", {"records": [{"type": "planet"}]}),
    ("createMasterData", {"records": [{"type": "currency", "currency": "EURO",
                                       "name": "Euro"}]}),
    ("changeSalesOrderItem", {"quantity": "5", "order_id": 4711}),
    ("postGoodsIssue", {"delivery_id": 80017}),
]


@pytest.mark.parametrize(("operation_id", "body"), GOOD + BAD,
                         ids=[f"good-{o}" for o, _ in GOOD] + [f"bad-{o}" for o, _ in BAD])
def test_documented_request_schemas_agree_with_the_decoder(operation_id: str,
                                                           body: Any) -> None:
    validator, declared = _request_validator(operation_id)
    problems: list[Problem] = []
    path = {p.name: 1 for p in declared.path_params()}
    assert declared.body is not None
    as_received = json.loads(json.dumps(body), parse_float=Decimal)  # as the API parses it
    declared.body.decode(as_received, path, problems, oltp_limits)
    schema_errors = list(validator.iter_errors(body))
    assert bool(problems) == bool(schema_errors), (problems, schema_errors)
    assert bool(problems) == ((operation_id, body) in BAD)
