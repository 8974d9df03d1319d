"""The interaction center over HTTP: a real server (waitress) over SQLite and PostgreSQL; every
response is validated against the OpenAPI document by the API suite's client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from channels_inputs import as_json, call_row, calls_csv, email, load_master_data

pytest_plugins = ["channels_support", "api_support"]

if TYPE_CHECKING:
    from api_support import ApiServer
    from oltp_support import Oltp


@pytest.fixture
def server(oltp: Oltp) -> Iterator[ApiServer]:
    from api_support import ApiServer

    load_master_data(oltp.engine)
    api = ApiServer(oltp)
    try:
        yield api
    finally:
        api.stop()


def test_email_upload_is_stored_once_and_listed(server: ApiServer) -> None:
    message = email("api-1@acme.example", body="ORDER M1 4\n",
                    attachments=(("Auftrag Nr. 5.pdf", b"%PDF-1.4 ..."),))
    headers = {"Content-Type": "message/rfc822"}
    first = server.call("POST", "/channels/email", 200, data=message, headers=headers)
    (item,) = first["items"]
    assert (item["status"], item["customer_id"]) == ("stored", "C1")
    assert first["orders_created"] == 1
    order = server.get(f"/sales-orders/{item['order_id']}")
    assert (order["channel"], order["net_value"]) == ("email", "50.00")
    again = server.call("POST", "/channels/email", 200, data=message, headers=headers)
    assert again["items"][0]["status"] == "duplicate"
    assert again["items"][0]["interaction_id"] == item["interaction_id"]
    listed = server.get("/interactions", {"channel": "email", "direction": "in"})
    assert [i["interaction_id"] for i in listed["items"]] == [item["interaction_id"]]
    detail = server.get(f"/interactions/{item['interaction_id']}")
    assert detail["attachments"] == [{"attachment_no": 1, "filename": "Auftrag Nr. 5.pdf",
                                      "content_type": "application/pdf", "size_bytes": 12}]
    replies = server.get("/interactions", {"direction": "out", "has_order": "true"})
    assert [r["parent_id"] for r in replies["items"]] == [item["interaction_id"]]
    server.call("GET", "/interactions/999999", 404)


def test_a_batch_with_malformed_records_quarantines_them_and_goes_on(
        server: ApiServer) -> None:
    good = call_row("h1", "030 1234567", "2024-03-04T09:00:00", "2024-03-04T09:00:05",
                    "2024-03-04T09:02:05", "answered")
    bad = call_row("h2", "030 1234567", "2024-03-04T09:00:00", "", "not-a-time")
    report = server.call("POST", "/channels/calls", 200, data=calls_csv(good, bad),
                         headers={"Content-Type": "text/csv"})
    assert [i["status"] for i in report["items"]] == ["stored", "quarantined"]
    listed = server.get("/quarantine", {"status": "open"})
    (entry,) = listed["items"]
    assert (entry["adapter"], entry["external_id"]) == ("calls", "h2")
    assert "end" in entry["reason"]
    result = server.call("POST", f"/quarantine/{entry['quarantine_id']}/replay", 200)
    assert result["status"] == "quarantined"  # not fixed: stays open, one more attempt
    assert server.get("/quarantine")["items"][0]["attempts"] == 2
    server.call("POST", "/quarantine/424242/replay", 404)
    chats = server.call("POST", "/channels/chats", 200, data=as_json(
        {"chat_id": "ch-1", "started_at": "2024-03-04T09:00:00", "customer_id": "C2"},
        {"started_at": "2024-03-04T09:00:00"}),
        headers={"Content-Type": "application/json"})
    assert (chats["stored"], chats["quarantined"]) == (1, 1)


def test_bad_input_is_a_4xx_and_writes_nothing(server: ApiServer) -> None:
    before = server.snapshot()
    bad = server.call("POST", "/channels/faxes", 400, data=b"{not json",
                      headers={"Content-Type": "application/json"})
    assert bad["error"]["code"] == "malformed_input"
    empty = server.call("POST", "/channels/email", 400, data=b"  ",
                        headers={"Content-Type": "message/rfc822"})
    assert empty["error"]["code"] == "invalid_body"
    wrong = server.call("POST", "/channels/calls", 415, data=b"<xml/>",
                        headers={"Content-Type": "application/xml"})
    assert wrong["error"]["code"] == "unsupported_media_type"
    server.call("GET", "/interactions", 400, params={"channel": "telex"})
    assert server.snapshot() == before


def test_idempotency_key_replays_the_first_answer(server: ApiServer) -> None:
    body = as_json({"form_id": "form-9", "submitted_at": "2024-03-04T09:00:00",
                    "email": "orders@acme.example", "message": "Katalog bitte"})
    headers = {"Content-Type": "application/json"}
    first = server.request("POST", "/channels/web-forms", data=body, headers=headers,
                           key="k-1")
    second = server.request("POST", "/channels/web-forms", data=body, headers=headers,
                            key="k-1")
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    other = server.request("POST", "/channels/web-forms", data=body + b" ", headers=headers,
                           key="k-1")
    assert other.status_code == 409


def test_the_openapi_document_describes_the_raw_bodies() -> None:
    from kubus.server.api.registry import document

    paths = document()["paths"]
    email_body = paths["/channels/email"]["post"]["requestBody"]
    assert set(email_body["content"]) == {"message/rfc822", "text/plain"}
    assert set(paths["/channels/calls"]["post"]["requestBody"]["content"]) == {
        "text/csv", "application/json"}
    for path in ("/channels/faxes", "/channels/letters", "/channels/web-forms",
                 "/channels/web-orders", "/channels/chats", "/interactions",
                 "/interactions/{interaction_id}", "/quarantine",
                 "/quarantine/{quarantine_id}/replay"):
        assert path in paths
