"""Idempotency keys over HTTP, on SQLite and PostgreSQL: a retried write returns the first
response and never writes twice, even when the retries race or the first attempt crashed."""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING, Any

import pytest
import requests
import sqlalchemy as sa

from kubus.oltp.schema import idempotency_key, sales_order
from kubus.server.api import idempotency

if TYPE_CHECKING:
    from api_support import ApiServer

pytest_plugins = ["api_support"]

ORDER = {"sold_to": "C1", "requested_delivery_date": "2024-03-12", "order_date": "2024-03-04",
         "items": [{"material_id": "M1", "quantity": "10"}]}


def count(api: ApiServer, table: sa.Table) -> int:
    with api.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_same_key_twice_creates_one_order_and_returns_the_same_response(
        o2c_api: ApiServer) -> None:
    key = str(uuid.uuid4())
    first = o2c_api.request("POST", "/sales-orders", body=ORDER, key=key)
    assert first.status_code == 201, first.text
    assert first.headers["Idempotent-Replayed"] == "false"
    second = o2c_api.request("POST", "/sales-orders", body=ORDER, key=key)
    assert (second.status_code, second.text) == (201, first.text)
    assert second.headers["Location"] == first.headers["Location"] == "/api/v1/sales-orders/4711"
    assert second.headers["Idempotent-Replayed"] == "true"
    assert count(o2c_api, sales_order) == 1
    # The key keeps answering with the original, even after the order changed.
    o2c_api.call("PATCH", "/sales-orders/4711/items/10", 200, {"quantity": "12"})
    third = o2c_api.request("POST", "/sales-orders", body=ORDER, key=key)
    assert third.text == first.text
    # Without a key, the same body is a new order.
    assert o2c_api.post("/sales-orders", ORDER)["order_id"] == 4712


def test_same_key_with_another_request_is_a_conflict(o2c_api: ApiServer) -> None:
    key = "order-from-shop-17"
    o2c_api.post("/sales-orders", ORDER, key=key)
    before = o2c_api.snapshot()
    other = {**ORDER, "items": [{"material_id": "M1", "quantity": "11"}]}
    for method, path, body in (("POST", "/sales-orders", other),
                               ("POST", "/deliveries", {"order_id": 4711})):
        refused = o2c_api.call(method, path, 409, body, key=key)
        assert refused["error"]["code"] == "idempotency_key_reused"
        assert refused["error"]["details"][0]["path"] == "/api/v1/sales-orders"
    assert o2c_api.snapshot() == before


def test_refused_requests_store_nothing(o2c_api: ApiServer) -> None:
    """A 4xx writes nothing, the key included: the fixed request may reuse the key."""
    key = str(uuid.uuid4())
    before = o2c_api.snapshot()
    too_much = {**ORDER, "items": [{"material_id": "NOPE", "quantity": "10"}]}
    for _ in range(2):
        assert o2c_api.call("POST", "/sales-orders", 422, too_much, key=key)["error"][
            "code"] == "unknown_material"
    assert o2c_api.snapshot() == before
    assert o2c_api.post("/sales-orders", ORDER, key=key)["order_id"] == 4711


def test_actions_are_idempotent_too(o2c_api: ApiServer) -> None:
    o2c_api.post("/sales-orders", ORDER)
    o2c_api.post("/deliveries", {"order_id": 4711, "created_on": "2024-03-12"})
    first = o2c_api.post("/deliveries/80017/goods-issue", {"posting_date": "2024-03-12"},
                         key="gi-80017")
    again = o2c_api.post("/deliveries/80017/goods-issue", {"posting_date": "2024-03-12"},
                         key="gi-80017")
    assert again == first
    without_key = o2c_api.post("/deliveries/80017/goods-issue",
                               {"posting_date": "2024-03-12"}, status=409)
    assert without_key["error"]["code"] == "already_issued"


def test_concurrent_retries_with_one_key_create_exactly_one_order(o2c_api: ApiServer) -> None:
    key = str(uuid.uuid4())
    barrier = threading.Barrier(4)
    responses: list[Any] = [None] * 4

    def retry(n: int) -> None:
        with requests.Session() as session:
            barrier.wait(timeout=30)
            responses[n] = o2c_api.request("POST", "/sales-orders", body=ORDER, key=key,
                                           session=session)

    threads = [threading.Thread(target=retry, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(r is not None for r in responses)
    assert {(r.status_code, r.text) for r in responses} == {(201, responses[0].text)}
    assert sorted(r.headers["Idempotent-Replayed"] for r in responses) == [
        "false", "true", "true", "true"]
    assert count(o2c_api, sales_order) == 1
    assert count(o2c_api, idempotency_key) == 1


def test_a_crash_before_commit_leaves_nothing_and_the_retry_creates_once(
        o2c_api: ApiServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The order and its key commit together: a failure after the service wrote but before
    the commit rolls both back (a 500, nothing written); the retry then creates the order."""
    key = str(uuid.uuid4())
    before = o2c_api.snapshot()
    record = idempotency.record

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("simulated crash before commit")

    monkeypatch.setattr(idempotency, "record", crash)
    failed = o2c_api.call("POST", "/sales-orders", 500, ORDER, key=key)
    assert failed["error"]["code"] == "internal_error"
    assert "simulated" not in str(failed)
    assert o2c_api.snapshot() == before
    monkeypatch.setattr(idempotency, "record", record)
    created = o2c_api.post("/sales-orders", ORDER, key=key)
    assert created["order_id"] == 4711
    assert o2c_api.post("/sales-orders", ORDER, key=key) == created
    assert count(o2c_api, sales_order) == 1
