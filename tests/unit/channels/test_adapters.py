"""The adapters without a database: realistic inputs generated here, malformed cases."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubus.channels.base import BatchError, OrderLine, ParseError, RawItem
from kubus.channels.registry import AdapterRegistry, UnknownAdapter, default_registry

REGISTRY = default_registry()


def _parse(adapter: str, payload: bytes) -> object:
    return REGISTRY.get(adapter).parse(RawItem(payload, "test"))


def _one(adapter: str, data: bytes) -> object:
    (item,) = REGISTRY.get(adapter).split(data, "test")
    return REGISTRY.get(adapter).parse(item)


def test_a_legacy_latin1_multipart_mail_with_encoded_headers() -> None:
    # Built with the compat32 MIME classes, as older mail clients send it: ISO-8859-1 text in
    # quoted-printable, RFC 2047 encoded subject and sender name, a base64 attachment.
    message = MIMEMultipart()
    message["From"] = "=?iso-8859-1?q?J=F6rg_M=FCller?= <Orders@Acme.example>"
    message["To"] = "sales@kubus.example"
    message["Subject"] = "=?utf-8?b?QmVzdGVsbHVuZyBmw7xyIEvDtmxu?="
    message["Message-ID"] = "<legacy-1@acme.example>"
    message["Date"] = "Mon, 4 Mar 2024 10:00:00 +0200"
    message.attach(MIMEText("Grüße aus Köln\nORDER M1 3\n", "plain", "iso-8859-1"))
    attachment = MIMEApplication(b"\x00\x01" * 50, Name="Preisübersicht.xlsx")
    attachment.add_header("Content-Disposition", "attachment",
                          filename=("utf-8", "", "Preisübersicht.xlsx"))
    message.attach(attachment)
    contact = _parse("email", message.as_bytes())
    assert contact.external_id == "legacy-1@acme.example"
    assert contact.subject == "Bestellung für Köln"
    assert contact.sender_name == "Jörg Müller"
    assert contact.email == "Orders@Acme.example"
    assert contact.started_at == datetime(2024, 3, 4, 8, 0)
    assert "Grüße aus Köln" in contact.text
    assert contact.order is not None
    assert contact.order.lines == (OrderLine("M1", Decimal(3)),)
    (att,) = contact.attachments
    assert (att.filename, att.size_bytes) == ("Preisübersicht.xlsx", 100)


def test_thread_keys_follow_references() -> None:
    message = EmailMessage()
    message["From"] = "a@b.example"
    message["Message-ID"] = "<c3@b.example>"
    message["Date"] = "Tue, 05 Mar 2024 10:00:00 +0000"
    message["In-Reply-To"] = "<c2@b.example>"
    message["References"] = "<c1@b.example> <c2@b.example>"
    message.set_content("ok")
    contact = _parse("email", bytes(message))
    assert (contact.thread_key, contact.parent_external_id) == ("c1@b.example", "c2@b.example")
    assert contact.topic == "reply"


@pytest.mark.parametrize(("headers", "reason"), [
    ({"From": "a@b.example", "Date": "Tue, 05 Mar 2024 10:00:00 +0000"}, "no Message-ID"),
    ({"Message-ID": "<x@y>", "Date": "Tue, 05 Mar 2024 10:00:00 +0000"}, "no sender"),
    ({"Message-ID": "<x@y>", "From": "a@b.example"}, "no Date"),
    ({"Message-ID": "<x@y>", "From": "a@b.example", "Date": "yesterday"}, "not an RFC 5322"),
])
def test_unusable_mail_is_a_parse_error(headers: dict[str, str], reason: str) -> None:
    message = EmailMessage()
    for name, value in headers.items():
        message[name] = value
    message.set_content("text")
    with pytest.raises(ParseError, match=reason):
        _parse("email", bytes(message))


def test_garbage_bytes_never_crash_the_mail_adapter() -> None:
    for payload in (b"\xff\xfe\x00garbage", b"Message-ID: <a@b>\nFrom: =?x?q?bad?=\n\n",
                    b"Content-Type: multipart/mixed; boundary=\"x\"\n\n--x\n"):
        with pytest.raises(ParseError):
            _parse("email", payload)


def test_call_records_csv_and_json() -> None:
    csv = (b"call_id,caller,called,queue,agent,start,answer,end,outcome\n"
           b"c1,+49 30 1234567,+49 40 999,sales,anna,2024-03-04T09:00:00+01:00,"
           b"2024-03-04T09:00:12+01:00,2024-03-04T09:04:12+01:00,answered\n"
           b"c2,030 7654321,+49 40 999,sales,,2024-03-04T09:01:00,,2024-03-04T09:01:40,\n")
    items = REGISTRY.get("calls").split(csv, "cdr.csv")
    answered, abandoned = (REGISTRY.get("calls").parse(i) for i in items)
    assert (answered.abandoned, answered.started_at) == (False, datetime(2024, 3, 4, 8, 0))
    assert (abandoned.abandoned, abandoned.outcome) == (True, "abandoned")
    assert [i.source_ref for i in items] == ["cdr.csv:2", "cdr.csv:3"]
    out = _one("calls", json.dumps({"call_id": "o1", "direction": "out", "caller": "+49 40 9",
                                    "called": "+49 30 1234567", "start": "2024-03-04T09:00:00"
                                    }).encode())
    assert (out.phone, out.abandoned) == ("+49 30 1234567", False)


@pytest.mark.parametrize(("record", "reason"), [
    ({"caller": "1", "start": "2024-03-04T09:00:00"}, "call_id: missing"),
    ({"call_id": "x", "start": "2024-13-04T09:00:00"}, "start: not an ISO 8601"),
    ({"call_id": "x", "start": "2024-03-04T09:00:00", "end": "2024-03-04T08:00:00"},
     "wait: ends before it starts"),
    ({"call_id": "x", "start": "2024-03-04T09:00:00", "answer": "2024-03-04T09:00:05",
      "outcome": "abandoned"}, "abandoned call has no answer"),
    ({"call_id": "x", "start": "2024-03-04T09:00:00", "direction": "sideways"}, "direction"),
    ({"call_id": ["x"], "start": "2024-03-04T09:00:00"}, "call_id: expected text"),
])
def test_malformed_call_records(record: dict[str, object], reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        _one("calls", json.dumps(record).encode())


@pytest.mark.parametrize(("adapter", "data", "reason"), [
    ("calls", b"", "empty"), ("calls", b"only-a-header\n", "header"),
    ("faxes", b"{nope", "not valid JSON"), ("chats", b"[]", "empty"),
    ("letters", b"\xff\xfe", "UTF-8"), ("email", b"   ", "empty"),
])
def test_inputs_that_cannot_be_split_are_batch_errors(adapter: str, data: bytes,
                                                       reason: str) -> None:
    with pytest.raises(BatchError, match=reason):
        REGISTRY.get(adapter).split(data, "test")


def test_fax_letter_web_and_chat_records() -> None:
    fax = _one("faxes", b'{"fax_id": "f1", "sender_number": "+49 30 1", "pages": 3, '
                        b'"received_at": "2024-03-04T08:00:00Z", "text": "ORDER M2 7,5 by '
                        b'2024-03-20\\nREF Fax-PO"}')
    assert fax.order.lines == (OrderLine("M2", Decimal("7.5"), date(2024, 3, 20)),)
    assert (fax.pages, fax.order.reference) == (3, "Fax-PO")
    letter = _one("letters", json.dumps({"document_id": "d1", "sender_name": "Beta AG",
                                         "received_date": "2024-03-04",
                                         "document_type": "Invoice"}).encode())
    assert (letter.started_at, letter.topic) == (datetime(2024, 3, 4), "invoice")
    order = _one("web-orders", json.dumps({
        "order_ref": "W-7", "submitted_at": "2024-03-04T10:00:00", "customer_id": "C1",
        "items": [{"material_id": "M1", "quantity": 2}, {"material_id": "M2",
                                                          "quantity": "1.5"}]}).encode())
    assert [line.quantity for line in order.order.lines] == [Decimal(2), Decimal("1.5")]
    with pytest.raises(ParseError, match=r"items\[1\]\.quantity"):
        _one("web-orders", json.dumps({
            "order_ref": "W-8", "submitted_at": "2024-03-04T10:00:00",
            "items": [{"material_id": "M1", "quantity": 2},
                      {"material_id": "M2", "quantity": -1}]}).encode())
    chat = _one("chats", json.dumps({
        "chat_id": "ch", "started_at": "2024-03-04T10:00:00", "email": "x@y.example",
        "messages": [{"from": "customer", "text": "Hallo?"}]}).encode())
    assert (chat.abandoned, chat.subject) == (True, "customer: Hallo?")


def test_the_registry() -> None:
    assert REGISTRY.names() == ("calls", "chats", "email", "faxes", "letters", "web-forms",
                                "web-orders")
    with pytest.raises(UnknownAdapter, match="telex"):
        REGISTRY.get("telex")
    with pytest.raises(ValueError, match="registered already"):
        AdapterRegistry([REGISTRY.get("email"), REGISTRY.get("email")])


@settings(max_examples=150, deadline=None)
@given(adapter=st.sampled_from(REGISTRY.names()),
       data=st.one_of(st.binary(max_size=400),
                      st.text(max_size=300).map(str.encode),
                      st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                                   lambda inner: st.lists(inner, max_size=4)
                                   | st.dictionaries(st.sampled_from(
                                       ["call_id", "fax_id", "chat_id", "form_id", "order_ref",
                                        "document_id", "start", "received_at", "submitted_at",
                                        "started_at", "items", "messages", "text", "caller"]),
                                       inner, max_size=6),
                                   max_leaves=12).map(lambda v: json.dumps(v).encode())))
def test_any_input_is_either_read_or_refused_with_a_reason(adapter: str, data: bytes) -> None:
    """Never a crash: split refuses with BatchError, parse with ParseError, or they succeed."""
    chosen = REGISTRY.get(adapter)
    try:
        items = chosen.split(data, "fuzz")
    except BatchError as exc:
        assert exc.reason
        return
    for item in items:
        try:
            chosen.parse(item)
        except ParseError as exc:
            assert exc.reason
