"""Worked example P2P-1 (domain.md §1.7) end to end over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from api_support import ApiServer

pytest_plugins = ["api_support"]

PO = 4_500_000_123


def accounts(document: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {line["account"]: (line["debit"], line["credit"]) for line in document["lines"]}


def po_item(api: ApiServer) -> dict[str, Any]:
    (item,) = api.get(f"/purchase-orders/{PO}")["items"]
    return item


def order(api: ApiServer) -> None:
    """PR 10001: 200 PC of M2 needed 2024-03-20 -> PO 4500000123 to V100 at 4.00 EUR,
    delivery date 2024-03-15."""
    pr = api.post("/purchase-requisitions", {"created_on": "2024-03-01", "items": [
        {"material_id": "M2", "plant": "1000", "quantity": "200", "needed_by": "2024-03-20"}]})
    assert (pr["pr_id"], pr["status"]) == (10001, "A")
    po = api.post("/purchase-orders", {"vendor_id": "V100", "po_date": "2024-03-01", "items": [
        {"material_id": "M2", "plant": "1000", "quantity": "200", "delivery_date": "2024-03-15",
         "net_price": "4.00", "pr_id": 10001, "pr_item": 10}]})
    assert (po["po_id"], po["net_value"], po["currency"], po["goods_receipt_status"]) == (
        PO, "800.00", "EUR", "A")
    assert [(s["delivery_date"], s["quantity"]) for s in po["items"][0]["schedule_lines"]] == [
        ("2024-03-15", "200.000")]
    pr = api.get("/purchase-requisitions/10001")
    assert (pr["status"], pr["items"][0]["ordered_qty"]) == ("C", "200.000")


def test_p2p_1_over_http(o2c_api: ApiServer) -> None:
    api = o2c_api
    order(api)
    # GR 150 on 03-15: Dr stock 600.00 / Cr GR/IR 600.00; GR qty 150 of 200.
    gr1 = api.post("/goods-receipts", {"po_id": PO, "posting_date": "2024-03-15",
                                       "items": [{"po_item": 10, "quantity": "150"}]})
    assert (gr1["movement_type"], gr1["po_id"]) == ("101", PO)
    assert accounts(gr1["accounting_document"]) == {"INVENTORY": ("600.00", "0.00"),
                                                    "GRIR": ("0.00", "600.00")}
    item = po_item(api)
    assert (item["received_qty"], item["open_qty"], item["goods_receipt_status"]) == (
        "150.000", "50.000", "B")

    # GR 50 on 03-18: Dr stock 200.00 / Cr GR/IR 200.00; fully received.
    gr2 = api.post("/goods-receipts", {"po_id": PO, "posting_date": "2024-03-18",
                                       "items": [{"po_item": 10, "quantity": "50"}]})
    assert accounts(gr2["accounting_document"]) == {"INVENTORY": ("200.00", "0.00"),
                                                    "GRIR": ("0.00", "200.00")}
    item = po_item(api)
    assert (item["received_qty"], item["open_qty"], item["goods_receipt_status"],
            item["grir_balance"]) == ("200.000", "0.000", "C", "800.00")

    # Invoice 200 at 4.10 = 820.00: Dr GR/IR 800.00, Dr price difference 20.00 / Cr vendor
    # 820.00; GR/IR balance 0; three-way match: invoiced 200 <= received 200.
    ir = api.post("/invoice-receipts", {"vendor_id": "V100", "posting_date": "2024-03-20",
                                        "items": [{"po_id": PO, "po_item": 10,
                                                   "quantity": "200", "amount": "820.00"}]})
    assert (ir["net_amount"], ir["gross_amount"], ir["price_difference"], ir["due_date"]) == (
        "820.00", "820.00", "20.00", "2024-04-19")
    assert accounts(ir["accounting_document"]) == {"GRIR": ("800.00", "0.00"),
                                                   "PRICE_DIFFERENCE": ("20.00", "0.00"),
                                                   "VENDOR": ("0.00", "820.00")}
    assert [(o["kind"], o["vendor_id"], o["amount"], o["due_date"], o["status"])
            for o in ir["open_items"]] == [("AP", "V100", "820.00", "2024-04-19", "open")]
    item = po_item(api)
    assert (item["invoiced_qty"], item["invoice_status"], item["grir_balance"]) == (
        "200.000", "C", "0.00")
    assert api.get("/invoice-receipts", {"vendor": "V100"})["items"][0]["invoice_id"] == (
        ir["invoice_id"])
    (plant,) = api.get("/materials/M2/stock")["plants"]
    assert plant["unrestricted"] == "200.000"

    flow = api.get("/document-flow/purchase-order/4500000123")
    assert {(f["preceding_category"], f["preceding_doc"], f["subsequent_category"],
             f["subsequent_doc"], f["quantity"], f["value"], f["movement_type"])
            for f in flow["links"]} == {
        ("0", 10001, "V", PO, "200.000", "800.00", None),
        ("V", PO, "R", gr1["mat_doc_id"], "150.000", "600.00", "101"),
        ("V", PO, "R", gr2["mat_doc_id"], "50.000", "200.00", "101"),
        ("V", PO, "Q", ir["invoice_id"], "200.000", "820.00", None)}


def test_goods_receipt_reversal_and_three_way_match(o2c_api: ApiServer) -> None:
    api = o2c_api
    order(api)
    gr = api.post("/goods-receipts", {"po_id": PO, "posting_date": "2024-03-15",
                                      "items": [{"po_item": 10, "quantity": "150"}]})
    refused = api.post("/invoice-receipts", {"vendor_id": "V100", "posting_date": "2024-03-20",
                                             "items": [{"po_id": PO, "po_item": 10,
                                                        "quantity": "200",
                                                        "amount": "820.00"}]}, status=422)
    assert refused["error"]["code"] == "quantity_not_received"
    over = api.post("/goods-receipts", {"po_id": PO, "items": [{"po_item": 10,
                                                                "quantity": "51"}]},
                    status=409)
    assert over["error"]["code"] == "over_receipt"
    rev = api.post(f"/goods-receipts/{gr['mat_doc_id']}/reversal",
                   {"posting_date": "2024-03-16"})
    assert (rev["movement_type"], rev["reversal_of"]) == ("102", gr["mat_doc_id"])
    assert accounts(rev["accounting_document"]) == {"INVENTORY": ("0.00", "600.00"),
                                                    "GRIR": ("600.00", "0.00")}
    twice = api.post(f"/goods-receipts/{gr['mat_doc_id']}/reversal", status=409)
    assert twice["error"]["code"] == "already_reversed"
    item = po_item(api)
    assert (item["received_qty"], item["open_qty"], item["goods_receipt_status"]) == (
        "0.000", "200.000", "A")
    receipts = api.get("/goods-receipts", {"po_id": PO})["items"]
    assert [(r["movement_type"], r["reversal_of"]) for r in receipts] == [
        ("101", None), ("102", gr["mat_doc_id"])]
    assert api.get(f"/goods-receipts/{rev['mat_doc_id']}")["reversal_of"] == gr["mat_doc_id"]
