"""Bad input gets the documented 4xx and changes nothing, over HTTP, on SQLite and PostgreSQL.

Each case is sent to a database in the middle of O2C-1 (order 4711 fully delivered by 80017
and 80018, 80017 goods-issued, invoiced as 90031 and paid; 80018 not goods-issued) and must
leave every table's row count, the stock, the open quantities and the whole change log as they
were. The acceptance list of issue #3 comes first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from api_support import ApiServer

pytest_plugins = ["api_support"]

ORDER = {"sold_to": "C1", "requested_delivery_date": "2024-03-12", "order_date": "2024-03-04",
         "items": [{"material_id": "M1", "quantity": "1"}]}


def order(**changes: Any) -> dict[str, Any]:
    item = {**ORDER["items"][0], **changes.pop("item", {})}
    return {**ORDER, "items": [item], **changes}


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    status: int
    code: str
    body: Any = None
    data: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


CASES = [
    # -- the acceptance list --
    Case("unknown material", "POST", "/sales-orders", 422, "unknown_material",
         order(item={"material_id": "NOPE"})),
    Case("unknown customer", "POST", "/sales-orders", 422, "unknown_customer",
         order(sold_to="NOPE")),
    Case("zero quantity", "POST", "/sales-orders", 400, "invalid_quantity",
         order(item={"quantity": "0"})),
    Case("negative quantity", "POST", "/sales-orders", 400, "invalid_quantity",
         order(item={"quantity": -5})),
    Case("unknown currency in an order", "POST", "/sales-orders", 422, "unknown_currency",
         order(currency="XXX")),
    Case("unknown currency in a payment", "POST", "/payments", 422, "unknown_currency",
         {"payer": "C1", "amount": "10.00", "currency": "XXX"}),
    Case("over-delivery", "POST", "/deliveries", 409, "over_delivery",
         {"order_id": 4711, "created_on": "2024-03-20",
          "items": [{"order_item": 10, "quantity": "1"}]}),
    Case("billing an undelivered item (no goods issue)", "POST", "/billing-documents", 422,
         "not_goods_issued", {"delivery_ids": [80018], "billing_date": "2024-03-20"}),
    Case("billing an unknown delivery", "POST", "/billing-documents", 422, "unknown_delivery",
         {"delivery_ids": [80099]}),
    Case("paying twice", "POST", "/payments", 409, "already_cleared",
         {"payer": "C1", "amount": "874.65", "currency": "EUR", "billing_ids": [90031],
          "payment_date": "2024-03-21"}),
    Case("malformed JSON", "POST", "/sales-orders", 400, "malformed_json",
         data=b'{"sold_to": "C1", "items": [', headers={"Content-Type": "application/json"}),
    # -- more malformed bodies --
    Case("NaN", "POST", "/payments", 400, "malformed_json",
         data=b'{"payer": "C1", "amount": NaN, "currency": "EUR"}'),
    Case("a member twice", "POST", "/payments", 400, "malformed_json",
         data=b'{"payer": "C1", "payer": "C2", "amount": "1", "currency": "EUR"}'),
    Case("not UTF-8", "POST", "/payments", 400, "malformed_json", data=b'{"payer": "\xff"}'),
    Case("an array, not an object", "POST", "/sales-orders", 400, "invalid_body", [ORDER]),
    Case("wrong types", "POST", "/sales-orders", 400, "invalid_body",
         {"sold_to": 7, "requested_delivery_date": "soon", "items": "M1"}),
    Case("a missing member", "POST", "/sales-orders", 400, "invalid_body",
         {"sold_to": "C1", "items": []}),
    Case("an unknown member", "POST", "/sales-orders", 400, "invalid_body",
         order(discount="50%")),
    Case("a float quantity with too many decimals", "POST", "/sales-orders", 400,
         "invalid_body", order(item={"quantity": 1.0001})),
    Case("money with 3 decimals", "POST", "/payments", 400, "invalid_body",
         {"payer": "C1", "amount": "1.001", "currency": "EUR"}),
    Case("no such date", "POST", "/sales-orders", 400, "invalid_body",
         order(requested_delivery_date="2024-02-30")),
    Case("a datetime for a date", "POST", "/sales-orders", 400, "invalid_body",
         order(order_date="2024-03-04T10:00:00")),
    Case("a string longer than its column", "POST", "/sales-orders", 400, "invalid_body",
         order(customer_reference="x" * 36)),
    Case("an integer beyond 64 bits", "POST", "/deliveries", 400, "invalid_body",
         {"order_id": 10**30}),
    Case("a small integer beyond its column", "POST", "/master-data", 400, "invalid_body",
         {"records": [{"type": "payment_terms", "terms": "X1", "description": "x",
                       "discount_days": 0, "discount_percent": "0", "net_days": 99999}]}),
    Case("an unknown record type", "POST", "/master-data", 400, "invalid_body",
         {"records": [{"type": "planet", "name": "Mars"}]}),
    Case("a body where none is taken", "PATCH", "/sales-orders/4711/items/10", 400,
         "invalid_body", {"quantity": "5", "order_id": 1}),
    Case("a body that is not JSON", "POST", "/payments", 415, "unsupported_media_type",
         data=b"payer=C1", headers={"Content-Type": "application/x-www-form-urlencoded"}),
    Case("a body over 1 MB", "POST", "/sales-orders", 413, "payload_too_large",
         data=b'{"x": "' + b"y" * (1024 * 1024) + b'"}',
         headers={"Content-Type": "application/json"}),
    Case("a malformed idempotency key", "POST", "/sales-orders", 400,
         "invalid_idempotency_key", ORDER, headers={"Idempotency-Key": "\u00e9t\u00e9"}),
    # -- the URL names an unknown object: 404 --
    Case("goods issue of an unknown delivery", "POST", "/deliveries/80099/goods-issue", 404,
         "unknown_delivery", {}),
    Case("change of an unknown order item", "PATCH", "/sales-orders/4711/items/30", 404,
         "unknown_order_item", {"quantity": "5"}),
    Case("cancelling an unknown billing document", "POST",
         "/billing-documents/1/cancellation", 404, "unknown_billing_document", {}),
    Case("reversing a goods issue as a goods receipt", "POST",
         "/goods-receipts/4900000001/reversal", 404, "unknown_goods_receipt", {}),
    Case("no such URL", "POST", "/sales-order", 404, "not_found", ORDER),
    Case("no such method", "DELETE", "/sales-orders/4711", 405, "method_not_allowed"),
    # -- the state forbids it: 409; a business rule refuses it: 422 --
    Case("goods issue twice", "POST", "/deliveries/80017/goods-issue", 409, "already_issued",
         {}),
    Case("quantity below what is delivered", "PATCH", "/sales-orders/4711/items/10", 409,
         "below_delivered_quantity", {"quantity": "50"}),
    Case("a stale version", "PATCH", "/sales-orders/4711/items/10", 409, "stale_version",
         {"quantity": "120", "expected_version": 0}),
    Case("reversing a billed goods issue", "POST", "/deliveries/80017/goods-issue/reversal",
         409, "already_billed", {}),
    Case("cancelling a paid invoice", "POST", "/billing-documents/90031/cancellation", 409,
         "already_cleared", {}),
    Case("more stock than there is", "POST", "/stock/transfers", 409, "insufficient_stock",
         {"material_id": "M1", "plant": "1000", "storage_location": "0001",
          "quantity": "1000", "from_type": "U", "to_type": "B"}),
    Case("a duplicate customer", "POST", "/customers", 409, "duplicate",
         {"customer_id": "C1", "name": "Acme again", "country": "DE"}),
    Case("a payment that matches no open item", "POST", "/payments", 422, "no_matching_item",
         {"payer": "C1", "amount": "1000.00", "currency": "EUR"}),
    Case("a customer with unknown payment terms", "POST", "/customers", 422,
         "unknown_payment_terms",
         {"customer_id": "C9", "name": "Nine", "country": "DE", "sales_areas": [
             {"sales_org": "1000", "distribution_channel": "10", "division": "00",
              "currency": "EUR", "payment_terms": "NOPE"}]}),
    Case("an unknown plant", "POST", "/sales-orders", 422, "unknown_plant",
         order(item={"material_id": "M1", "plant": "9999"})),
]


@pytest.fixture
def mid_o2c(o2c_api: ApiServer) -> ApiServer:
    api = o2c_api
    api.post("/sales-orders", {"sold_to": "C1", "requested_delivery_date": "2024-03-12",
                               "order_date": "2024-03-04",
                               "items": [{"material_id": "M1", "quantity": "100"}]})
    api.post("/deliveries", {"order_id": 4711, "created_on": "2024-03-12",
                             "items": [{"order_item": 10, "quantity": "60"}]})
    api.post("/deliveries/80017/goods-issue", {"posting_date": "2024-03-12"})
    api.post("/billing-documents", {"delivery_ids": [80017], "billing_date": "2024-03-12"})
    api.post("/deliveries", {"order_id": 4711, "created_on": "2024-03-20"})
    api.post("/payments", {"payer": "C1", "amount": "874.65", "currency": "EUR",
                           "billing_ids": [90031], "payment_date": "2024-03-20"})
    return api


def test_bad_input_is_refused_and_changes_nothing(mid_o2c: ApiServer) -> None:
    api = mid_o2c
    failures = []
    for case in CASES:
        before = api.snapshot()
        response = api.request(case.method, case.path, body=case.body, data=case.data,
                               headers=case.headers)
        error = response.json().get("error", {})
        if (response.status_code, error.get("code")) != (case.status, case.code):
            failures.append(f"{case.name}: {response.status_code} {response.text[:300]}")
        elif not error.get("message") or error.get("status") != case.status:
            failures.append(f"{case.name}: no message/status in {response.text[:300]}")
        if api.snapshot() != before:
            failures.append(f"{case.name}: the database changed")
    assert not failures, "\n".join(failures)


def test_every_schema_problem_is_reported_at_once(mid_o2c: ApiServer) -> None:
    body = mid_o2c.call("POST", "/sales-orders", 400, {
        "sold_to": 7, "items": [{"material_id": "M1", "quantity": "x", "colour": "red"}]})
    assert body["error"]["code"] == "invalid_body"
    assert {(d["pointer"], d["message"]) for d in body["error"]["details"]} == {
        ("/sold_to", "expected a string"),
        ("/requested_delivery_date", "required"),
        ("/items/0/quantity", "expected a decimal number such as \"12.50\", got 'x'"),
        ("/items/0/colour", "unknown member")}


def test_query_parameters_are_checked(mid_o2c: ApiServer) -> None:
    for params, code in (({"stauts": "A"}, "invalid_parameter"),
                         ({"status": "D"}, "invalid_parameter"),
                         ({"date_from": "yesterday"}, "invalid_parameter"),
                         ({"limit": "0"}, "invalid_parameter"),
                         ({"limit": "501"}, "invalid_parameter"),
                         ({"cursor": "not-a-cursor"}, "invalid_cursor"),
                         ({"cursor": "WyJhIl0"}, "invalid_cursor")):  # ["a"]: wrong key type
        body = mid_o2c.get("/sales-orders", params, status=400)
        assert body["error"]["code"] == code, (params, body)


def test_errors_are_json_in_the_documented_shape(mid_o2c: ApiServer) -> None:
    response = mid_o2c.request("GET", "/sales-orders/4712")
    assert response.status_code == 404
    assert response.json() == {"error": {
        "status": 404, "code": "unknown_order", "message": "sales order 4712 does not exist",
        "details": [{"order_id": 4712}]}}
    over = mid_o2c.request("POST", "/deliveries", body={
        "order_id": 4711, "items": [{"order_item": 10, "quantity": "1"}],
        "created_on": "2024-03-20"})
    assert json.loads(over.text)["error"]["details"] == [
        {"order_id": 4711, "order_item": 10, "deliverable": "0.000"}]
