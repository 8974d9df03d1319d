"""Lists: keyset pagination (``limit``/``cursor``) and filters, on SQLite and PostgreSQL.

The expected ids are computed here from what the test created (an independent oracle), then
compared with what the pages return, page by page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from api_support import ApiServer

pytest_plugins = ["api_support"]


def all_pages(api: ApiServer, path: str, params: dict[str, Any], limit: int) -> list[Any]:
    """Every item of a list, fetched ``limit`` at a time; checks the page sizes."""
    items: list[Any] = []
    cursor = None
    while True:
        page = api.get(path, {**params, "limit": limit, **({"cursor": cursor} if cursor else {})})
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        assert len(page["items"]) == limit


def order(api: ApiServer, customer: str, day: str, quantity: str = "2",
          material: str = "M1") -> int:
    created = api.post("/sales-orders", {
        "sold_to": customer, "requested_delivery_date": day, "order_date": day,
        "items": [{"material_id": material, "quantity": quantity}]})
    return int(created["order_id"])


def test_sales_orders_pages_and_filters(o2c_api: ApiServer) -> None:
    api = o2c_api
    made = []  # (order_id, customer, date, material)
    for n, day in enumerate(["2024-03-04", "2024-03-05", "2024-03-06", "2024-03-07",
                             "2024-03-08", "2024-03-11", "2024-03-12"]):
        customer = "C1" if n % 3 else "C2"
        material = "M1" if n != 4 else "M3"
        if material == "M3":
            api.post("/stock/initial-entries", {"entries": [
                {"material_id": "M3", "plant": "1000", "storage_location": "0002",
                 "quantity": "5"}]})
        made.append((order(api, customer, day, material=material), customer, day, material))
    # Deliver order 1 completely and order 2 partly: statuses C, B, the rest A.
    first, second = made[0][0], made[1][0]
    api.post("/deliveries", {"order_id": first, "created_on": "2024-03-12"})
    api.post("/deliveries", {"order_id": second, "created_on": "2024-03-12",
                             "items": [{"order_item": 10, "quantity": "1"}]})
    status = {oid: "C" if oid == first else "B" if oid == second else "A"
              for oid, *_ in made}

    everything = all_pages(api, "/sales-orders", {}, limit=3)
    assert [o["order_id"] for o in everything] == [m[0] for m in made]
    assert {o["order_id"]: o["overall_status"] for o in everything} == status

    cases: list[tuple[dict[str, Any], list[int]]] = [
        ({"customer": "C1"}, [m[0] for m in made if m[1] == "C1"]),
        ({"status": "A"}, [m[0] for m in made if status[m[0]] == "A"]),
        ({"status": "B"}, [second]),
        ({"status": "C", "customer": "C2"}, [first]),
        ({"date_from": "2024-03-06", "date_to": "2024-03-08"},
         [m[0] for m in made if "2024-03-06" <= m[2] <= "2024-03-08"]),
        ({"material": "M3"}, [m[0] for m in made if m[3] == "M3"]),
        ({"customer": "C3"}, []),
    ]
    for params, expected in cases:
        for limit in (1, 2, 50):
            got = [o["order_id"] for o in all_pages(api, "/sales-orders", params, limit)]
            assert got == expected, (params, limit)


def test_other_lists(o2c_api: ApiServer) -> None:
    api = o2c_api
    first = order(api, "C1", "2024-03-04", "3")
    second = order(api, "C2", "2024-03-05", "4")
    deliveries = [api.post("/deliveries", {"order_id": oid, "created_on": "2024-03-12"})
                  ["delivery_id"] for oid in (first, second)]
    for delivery_id in deliveries:
        api.post(f"/deliveries/{delivery_id}/goods-issue", {"posting_date": "2024-03-12"})
    invoices = [api.post("/billing-documents", {"delivery_ids": [d], "billing_date": day})
                ["billing_id"] for d, day in zip(deliveries, ("2024-03-12", "2024-03-13"),
                                                   strict=True)]

    assert [d["delivery_id"] for d in all_pages(api, "/deliveries", {}, 1)] == deliveries
    assert [d["delivery_id"] for d in api.get("/deliveries", {"order_id": second})[
        "items"]] == [deliveries[1]]
    assert [b["billing_id"] for b in all_pages(api, "/billing-documents",
                                               {"payer": "C2"}, 1)] == [invoices[1]]
    assert [b["billing_id"] for b in api.get("/billing-documents", {
        "date_from": "2024-03-13"})["items"]] == [invoices[1]]
    assert [b["billing_id"] for b in api.get("/billing-documents", {
        "delivery_id": deliveries[0]})["items"]] == [invoices[0]]
    open_items = all_pages(api, "/open-items", {"kind": "AR", "status": "open"}, 1)
    assert [(o["billing_id"], o["due_date"]) for o in open_items] == [
        (invoices[0], "2024-04-11"), (invoices[1], "2024-04-12")]
    assert [o["billing_id"] for o in api.get("/open-items", {
        "date_to": "2024-04-11"})["items"]] == [invoices[0]]

    stock = all_pages(api, "/stock", {}, 1)
    assert [(s["material_id"], s["plant"], s["storage_location"], s["unrestricted"])
            for s in stock] == [("M1", "1000", "0001", "93.000")]
    assert api.get("/stock", {"material": "M2"})["items"] == []

    assert [c["customer_id"] for c in all_pages(api, "/customers", {}, 1)] == ["C1", "C2"]
    assert [c["customer_id"] for c in api.get("/customers", {"name": "acme"})["items"]] == [
        "C1"]
    assert [m["material_id"] for m in all_pages(api, "/materials", {"plant": "1000"}, 2)] == [
        "M1", "M2", "M3"]
    assert [v["vendor_id"] for v in api.get("/vendors")["items"]] == ["V100"]

    log = api.get("/changes", {"after": 0, "limit": 5})
    assert [c["seq"] for c in log["changes"]] == [1, 2, 3, 4, 5]
    rest = api.get("/changes", {"after": log["next_after"], "limit": 10000})
    assert rest["changes"][0]["seq"] == 6
    assert rest["next_after"] == rest["last_seq"]
    assert api.get("/changes", {"after": rest["last_seq"]}) == {
        "changes": [], "next_after": rest["last_seq"], "last_seq": rest["last_seq"]}
