"""Worked example O2C-1 (domain.md §1.6) end to end over HTTP, on SQLite and PostgreSQL.

Every amount, tax, discount, due date, status and document-flow row is the worked example's
(copied from domain.md, or for the flow rows it abbreviates with "and so on", from the rule it
states); the master data is created through the API as well.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from api_support import ApiServer

pytest_plugins = ["api_support"]


def accounts(document: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Debit and credit per account of an accounting document."""
    totals: dict[str, tuple[str, str]] = {}
    for line in document["lines"]:
        assert line["account"] not in totals
        totals[line["account"]] = (line["debit"], line["credit"])
    return totals


def links(flow: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {(f["preceding_category"], f["preceding_doc"], f["preceding_item"],
             f["subsequent_category"], f["subsequent_doc"], f["subsequent_item"],
             f["quantity"], f["value"], f["movement_type"]) for f in flow["links"]}


def test_o2c_1_over_http(o2c_api: ApiServer) -> None:
    api = o2c_api
    # 2024-03-04: order 4711/10, 100 PC of M1 at 12.50, tax 19 %, fully confirmed.
    order = api.post("/sales-orders", {
        "sold_to": "C1", "requested_delivery_date": "2024-03-12", "order_date": "2024-03-04",
        "items": [{"material_id": "M1", "quantity": "100"}]})
    assert (order["order_id"], order["order_date"], order["payment_terms"]) == (
        4711, "2024-03-04", "ZB10")
    (item,) = order["items"]
    assert (item["item_no"], item["quantity"], item["confirmed_qty"]) == (
        10, "100.000", "100.000")
    assert (item["net_price"], item["net_value"], item["tax_rate"]) == (
        "12.50", "1250.00", "19.000")
    assert [(s["delivery_date"], s["requested_qty"], s["confirmed_qty"])
            for s in item["schedule_lines"]] == [("2024-03-12", "100.000", "100.000")]
    assert (order["net_value"], order["delivery_status"], order["overall_status"]) == (
        "1250.00", "A", "A")
    assert api.get("/sales-orders/4711") == order

    # Delivery 1: 60 -> order LFSTA B.
    d1 = api.post("/deliveries", {"order_id": 4711, "created_on": "2024-03-12",
                                  "items": [{"order_item": 10, "quantity": "60"}]})
    assert d1["delivery_id"] == 80017
    assert [(i["item_no"], i["order_id"], i["order_item"], i["quantity"])
            for i in d1["items"]] == [(10, 4711, 10, "60.000")]
    order = api.get("/sales-orders/4711")
    assert (order["delivery_status"], order["overall_status"]) == ("B", "B")

    # PGI 2024-03-12: Dr COGS 480.00 / Cr stock 480.00; 80017 WBSTA C.
    gi1 = api.post("/deliveries/80017/goods-issue", {"posting_date": "2024-03-12"})
    assert (gi1["movement_type"], gi1["posting_date"], gi1["total_amount"]) == (
        "601", "2024-03-12", "480.00")
    assert accounts(gi1["accounting_document"]) == {"COGS": ("480.00", "0.00"),
                                                    "INVENTORY": ("0.00", "480.00")}
    d1 = api.get("/deliveries/80017")
    assert (d1["goods_movement_status"], d1["billing_status"]) == ("C", "A")
    assert d1["material_documents"] == [gi1["mat_doc_id"]]

    # Invoice 90031 on 2024-03-12: net 750.00, tax 142.50, gross 892.50; discount date
    # 2024-03-22, net due 2024-04-11; 80017 FKSTA C.
    inv1 = api.post("/billing-documents", {"delivery_ids": [80017],
                                           "billing_date": "2024-03-12"})
    assert (inv1["billing_id"], inv1["billing_type"], inv1["category"]) == (90031, "F2", "M")
    assert (inv1["net_value"], inv1["tax_amount"], inv1["gross_amount"]) == (
        "750.00", "142.50", "892.50")
    assert (inv1["discount_date"], inv1["discount_percent"], inv1["due_date"]) == (
        "2024-03-22", "2.000", "2024-04-11")
    assert [(i["quantity"], i["net_value"], i["tax_amount"]) for i in inv1["items"]] == [
        ("60.000", "750.00", "142.50")]
    assert inv1["clearing_status"] == "open"
    assert accounts(api.get(f"/accounting-documents/{inv1['acc_doc_id']}")) == {
        "AR": ("892.50", "0.00"), "REVENUE": ("0.00", "750.00"),
        "OUTPUT_TAX": ("0.00", "142.50")}
    assert api.get("/deliveries/80017")["billing_status"] == "C"

    # Delivery 2 (everything due) + PGI 2024-03-20: 40; COGS 320.00; order LFSTA C, GBSTA C.
    d2 = api.post("/deliveries", {"order_id": 4711, "created_on": "2024-03-20"})
    assert d2["delivery_id"] == 80018
    assert [(i["order_item"], i["quantity"]) for i in d2["items"]] == [(10, "40.000")]
    gi2 = api.post("/deliveries/80018/goods-issue", {"posting_date": "2024-03-20"})
    assert accounts(gi2["accounting_document"]) == {"COGS": ("320.00", "0.00"),
                                                    "INVENTORY": ("0.00", "320.00")}
    order = api.get("/sales-orders/4711")
    assert (order["delivery_status"], order["overall_status"]) == ("C", "C")
    assert [(i["delivered_qty"], i["issued_qty"]) for i in order["items"]] == [
        ("100.000", "100.000")]

    # Invoice 90032 on 2024-03-20: net 500.00, tax 95.00, gross 595.00; net due 2024-04-19.
    inv2 = api.post("/billing-documents", {"delivery_ids": [80018],
                                           "billing_date": "2024-03-20"})
    assert inv2["billing_id"] == 90032
    assert (inv2["net_value"], inv2["tax_amount"], inv2["gross_amount"], inv2["due_date"]) == (
        "500.00", "95.00", "595.00", "2024-04-19")
    assert api.get("/sales-orders/4711")["items"][0]["billed_qty"] == "100.000"

    # Payment 2024-03-20: 874.65 for 90031 (2 % x 892.50 = 17.85 discount) -> cleared.
    pay1 = api.post("/payments", {"payer": "C1", "amount": "874.65", "currency": "EUR",
                                  "billing_ids": [90031], "payment_date": "2024-03-20"})
    assert (pay1["amount"], pay1["discount"]) == ("874.65", "17.85")
    assert [(i["billing_id"], i["item_amount"], i["paid"], i["discount"], i["days_past_due"],
             i["residual_item_id"]) for i in pay1["items"]] == [
        (90031, "892.50", "874.65", "17.85", 0, None)]
    assert accounts(api.get(f"/accounting-documents/{pay1['acc_doc_id']}")) == {
        "BANK": ("874.65", "0.00"), "CASH_DISCOUNT_EXPENSE": ("17.85", "0.00"),
        "AR": ("0.00", "892.50")}
    inv1 = api.get("/billing-documents/90031")
    assert inv1["clearing_status"] == "cleared"
    assert [(o["cleared_by"], o["cleared_on"]) for o in inv1["open_items"]] == [
        (pay1["acc_doc_id"], "2024-03-20")]

    # Payment 2024-04-25: 595.00 (matched by amount) clears 90032, 6 days past due.
    pay2 = api.post("/payments", {"payer": "C1", "amount": "595.00", "currency": "EUR",
                                  "payment_date": "2024-04-25"})
    assert [(i["billing_id"], i["paid"], i["discount"], i["due_date"], i["days_past_due"])
            for i in pay2["items"]] == [(90032, "595.00", "0.00", "2024-04-19", 6)]
    cleared = api.get("/open-items", {"customer": "C1", "status": "cleared"})
    assert [(o["billing_id"], o["amount"], o["cleared_on"]) for o in cleared["items"]] == [
        (90031, "892.50", "2024-03-20"), (90032, "595.00", "2024-04-25")]
    assert api.get("/open-items", {"customer": "C1", "status": "open"})["items"] == []

    # Document flow (VBFA): 4711/10 -> 80017/10 (J, 60), -> 80018/10 (J, 40), and so on.
    assert links(api.get("/document-flow/C/4711")) == {
        ("C", 4711, 10, "J", 80017, 10, "60.000", "750.00", None),
        ("C", 4711, 10, "J", 80018, 10, "40.000", "500.00", None),
        ("C", 4711, 10, "M", 90031, 10, "60.000", "750.00", None),
        ("C", 4711, 10, "M", 90032, 10, "40.000", "500.00", None)}
    assert links(api.get("/document-flow/delivery/80017")) == {
        ("C", 4711, 10, "J", 80017, 10, "60.000", "750.00", None),
        ("J", 80017, 10, "R", gi1["mat_doc_id"], 1, "60.000", "480.00", "601"),
        ("J", 80017, 10, "M", 90031, 10, "60.000", "750.00", None)}
    assert links(api.get("/document-flow/billing-document/90031")) >= {
        ("M", 90031, 0, "+", inv1["acc_doc_id"], 0, None, "892.50", None),
        ("M", 90031, 0, "+", pay1["acc_doc_id"], 0, None, "892.50", None)}
    whole = links(api.get("/document-flow/sales-order/4711", {"scope": "all"}))
    assert ("J", 80018, 10, "R", gi2["mat_doc_id"], 1, "40.000", "320.00", "601") in whole
    assert ("M", 90032, 0, "+", pay2["acc_doc_id"], 0, None, "595.00", None) in whole

    # Invariants: stock 100 - 60 - 40, no open requirement, a gap-free change log.
    (plant,) = api.get("/materials/M1/stock")["plants"]
    assert (plant["unrestricted"], plant["open_confirmed_qty"], plant["available"]) == (
        "0.000", "0.000", "0.000")
    log = api.get("/changes", {"after": 0, "limit": 10000})
    seqs = [c["seq"] for c in log["changes"]]
    assert seqs == list(range(1, len(seqs) + 1))
    assert log["last_seq"] == log["next_after"] == seqs[-1]
    assert {"sales_order", "delivery", "billing_document", "payment"} <= {
        c["entity"] for c in log["changes"]}


def test_business_dates_default_to_today(o2c_api: ApiServer) -> None:
    """Without a date in the body, writes use the server's business date (here 2024-03-04)."""
    order = o2c_api.post("/sales-orders", {
        "sold_to": "C1", "requested_delivery_date": "2024-03-04",
        "items": [{"material_id": "M1", "quantity": "5"}]})
    assert order["order_date"] == "2024-03-04"
    delivery = o2c_api.post("/deliveries", {"order_id": order["order_id"]})
    assert delivery["created_on"] == "2024-03-04"
    gi = o2c_api.post(f"/deliveries/{delivery['delivery_id']}/goods-issue")
    assert gi["posting_date"] == "2024-03-04"
    invoice = o2c_api.post("/billing-documents", {"delivery_ids": [delivery["delivery_id"]]})
    assert (invoice["billing_date"], invoice["due_date"]) == ("2024-03-04", "2024-04-03")


def test_change_reject_cancel_credit_and_reverse(o2c_api: ApiServer) -> None:
    """The change actions: item quantity (with a version guard), rejection, goods-issue
    reversal, cancellation and credit memo."""
    api = o2c_api
    order = api.post("/sales-orders", {
        "sold_to": "C1", "requested_delivery_date": "2024-03-12", "order_date": "2024-03-04",
        "items": [{"material_id": "M1", "quantity": "30"}, {"material_id": "M1",
                                                            "quantity": "10"}]})
    changed = api.call("PATCH", "/sales-orders/4711/items/10", 200,
                       {"quantity": "20", "expected_version": 1, "change_date": "2024-03-05"})
    assert (changed["version"], changed["net_value"]) == (2, "375.00")
    assert changed["items"][0]["quantity"] == "20.000"
    stale = api.call("PATCH", "/sales-orders/4711/items/10", 409,
                     {"quantity": "25", "expected_version": 1})
    assert stale["error"]["code"] == "stale_version"
    rejected = api.post("/sales-orders/4711/items/20/rejection", {"reason": "02"}, status=200)
    assert rejected["items"][1]["rejection_reason"] == "02"
    assert (rejected["version"], rejected["net_value"]) == (3, "250.00")
    assert order["order_id"] == 4711

    api.post("/deliveries", {"order_id": 4711, "created_on": "2024-03-12"})
    gi = api.post("/deliveries/80017/goods-issue", {"posting_date": "2024-03-12"})
    reversal = api.post("/deliveries/80017/goods-issue/reversal",
                        {"posting_date": "2024-03-13"})
    assert (reversal["movement_type"], reversal["reversal_of"]) == ("602", gi["mat_doc_id"])
    assert api.get(f"/material-documents/{gi['mat_doc_id']}")["reversed_by"] == (
        reversal["mat_doc_id"])
    assert api.get("/deliveries/80017")["goods_movement_status"] == "A"
    api.post("/deliveries/80017/goods-issue", {"posting_date": "2024-03-14"})

    invoice = api.post("/billing-documents", {"delivery_ids": [80017],
                                              "billing_date": "2024-03-14"})
    cancellation = api.post(f"/billing-documents/{invoice['billing_id']}/cancellation",
                            {"cancellation_date": "2024-03-15"})
    assert (cancellation["category"], cancellation["cancels_billing_id"]) == (
        "N", invoice["billing_id"])
    cancelled = api.get(f"/billing-documents/{invoice['billing_id']}")
    assert (cancelled["cancelled_by"], cancelled["clearing_status"]) == (
        cancellation["billing_id"], "cleared")
    again = api.post("/billing-documents", {"delivery_ids": [80017],
                                            "billing_date": "2024-03-15"})
    memo = api.post(f"/billing-documents/{again['billing_id']}/credit-memos",
                    {"items": [{"item_no": 10, "quantity": "5"}],
                     "billing_date": "2024-03-16"})
    assert (memo["category"], memo["net_value"], memo["tax_amount"]) == ("O", "62.50", "11.88")
    assert [o["amount"] for o in memo["open_items"]] == ["-74.38"]
    assert api.get("/billing-documents", {"category": "O"})["items"][0]["billing_id"] == (
        memo["billing_id"])


def test_cancelling_a_credit_memo(o2c_api: ApiServer) -> None:
    api = o2c_api
    api.post("/sales-orders", {"sold_to": "C1", "requested_delivery_date": "2024-03-12",
                               "items": [{"material_id": "M1", "quantity": "10"}]})
    api.post("/deliveries", {"order_id": 4711, "created_on": "2024-03-12"})
    api.post("/deliveries/80017/goods-issue", {"posting_date": "2024-03-12"})
    api.post("/billing-documents", {"delivery_ids": [80017], "billing_date": "2024-03-12"})
    memo = api.post("/billing-documents/90031/credit-memos", {"billing_date": "2024-03-13"})
    before = api.snapshot()
    response = api.request("POST", f"/billing-documents/{memo['billing_id']}/cancellation",
                           body={"cancellation_date": "2024-03-14"})
    assert response.status_code < 500 or api.snapshot() == before  # never a partial write
    assert response.status_code == 201, response.text
    assert response.json()["category"] == "S"
