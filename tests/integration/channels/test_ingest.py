"""The ingest service on SQLite and PostgreSQL: threads, identification, exactly-once,
quarantine and replay, and the change log. Expected values are recomputed by plain SQL over
the tables or written down from the inputs the tests generate."""

from __future__ import annotations

from channels_inputs import (
    C1_EMAIL,
    TODAY,
    Ic,
    as_json,
    call_row,
    calls_csv,
    email,
)

from kubus.channels.ingest import IngestService
from kubus.oltp.availability import StockOnlyChecker

pytest_plugins = ["channels_support"]


def test_email_thread_attachments_and_identification(ic: Ic) -> None:
    reply = email("r1@acme.example", subject="Re: Anfrage zur Lieferung \u2013 Größe XL",
                  in_reply_to="m1@acme.example", references=("m1@acme.example",),
                  date_header="Mon, 04 Mar 2024 11:00:00 +0100")
    # The reply arrives first (mail servers do not keep order): stored, parent unknown yet.
    first = ic.service.ingest("email", reply, source_ref="upload")
    assert [i.status for i in first.items] == ["stored"]
    parent = email("m1@acme.example", html=True,
                   attachments=(("Bestellübersicht März.pdf", b"%PDF" + b"x" * 2044),
                                ("Lieferschein.pdf", b"%PDF" + b"y" * 96)))
    second = ic.service.ingest("email", parent, source_ref="upload")
    (item,) = second.items
    assert (item.status, item.identification, item.customer_id) == ("stored", "identified", "C1")
    rows = ic.rows("SELECT external_id, parent_id, thread_key, subject, sender_key, "
                   "customer_id, attachment_count, started_at FROM interaction "
                   "ORDER BY interaction_id")
    reply_row, parent_row = rows
    assert reply_row[1] == item.interaction_id  # linked once the parent arrived
    assert reply_row[2] == parent_row[2] == "m1@acme.example"
    assert parent_row[3] == "Anfrage zur Lieferung \u2013 Größe XL"  # RFC 2047 decoded
    assert parent_row[4] == C1_EMAIL.lower()
    assert parent_row[6] == 2
    assert str(parent_row[7]).startswith("2024-03-04 08:15:00")  # +01:00 -> UTC
    attachments = ic.rows("SELECT filename, content_type, size_bytes FROM "
                          "interaction_attachment ORDER BY attachment_no")
    assert attachments == [("Bestellübersicht März.pdf", "application/pdf", 2048),
                           ("Lieferschein.pdf", "application/pdf", 100)]
    # Every interaction row is in the change log (inserts, plus the parent link update).
    logged = ic.rows("SELECT key, operation FROM change_log WHERE entity = 'interaction' "
                     "ORDER BY seq")
    ids = [str(r[0]) for r in ic.rows("SELECT interaction_id FROM interaction "
                                       "ORDER BY interaction_id")]
    assert [k for k, op in logged if op == "insert"] == ids
    assert (ids[0], "update") in logged


def test_redelivery_is_stored_exactly_once(ic: Ic) -> None:
    messages = [email(f"m{n}@acme.example", body=f"Nachricht {n}") for n in range(5)]
    report = ic.service.ingest_items("email", [_raw(m) for m in messages + messages[:2]])
    assert (report.stored, report.duplicates) == (5, 2)
    assert report.items[5].interaction_id == report.items[0].interaction_id
    log_before = ic.scalar("SELECT COUNT(*) FROM change_log")
    again = ic.service.ingest_items("email", [_raw(m) for m in messages])
    assert (again.stored, again.duplicates) == (0, 5)
    assert ic.scalar("SELECT COUNT(*) FROM interaction") == 5
    assert ic.scalar("SELECT COUNT(*) FROM change_log") == log_before


def test_malformed_messages_are_quarantined_and_replayed(ic: Ic) -> None:
    good = call_row("c1", "+49 30 1234567", "2024-03-04T09:00:00", "2024-03-04T09:00:12",
                    "2024-03-04T09:04:12", "answered", agent="anna")
    bad = call_row("c2", "+49 30 1234567", "2024-03-04T09:10:00", "2024-03-04T09:10:30",
                   "2024-03-04T09:09:00", "answered")          # ends before it is answered
    broken = "c3,too,few,fields"
    no_id = call_row("", "+49 30 1234567", "2024-03-04T09:20:00", "", "2024-03-04T09:20:05")
    report = ic.service.ingest("calls", calls_csv(good, bad, broken, no_id), "cdr.csv")
    assert [i.status for i in report.items] == ["stored", "quarantined", "quarantined",
                                                "quarantined"]
    assert "end: before answer" in (report.items[1].reason or "")
    assert "fields" in (report.items[2].reason or "")
    assert "call_id: missing" in (report.items[3].reason or "")
    rows = ic.rows("SELECT quarantine_id, adapter, external_id, status, source_ref "
                   "FROM quarantine ORDER BY quarantine_id")
    assert [(r[1], r[2], r[3]) for r in rows] == [("calls", "c2", "open"),
                                                  ("calls", None, "open"),
                                                  ("calls", None, "open")]
    assert rows[0][4] == "cdr.csv:3"
    # The same file again: stored once, and each malformed message keeps its one entry.
    again = ic.service.ingest("calls", calls_csv(good, bad, broken, no_id), "cdr.csv")
    assert [i.status for i in again.items] == ["duplicate", "quarantined", "quarantined",
                                               "quarantined"]
    assert [i.quarantine_id for i in again.items[1:]] == [r[0] for r in rows]
    assert ic.scalar("SELECT COUNT(*) FROM quarantine") == 3
    # Replaying without a fix fails again and counts the attempt.
    again = ic.service.replay(rows[0][0])
    assert again.status == "quarantined"
    assert ic.rows("SELECT status, attempts FROM quarantine WHERE quarantine_id = :q",
                   q=rows[0][0]) == [("open", 2)]
    fixed = calls_csv(call_row("c2", "+49 30 1234567", "2024-03-04T09:10:00",
                               "2024-03-04T09:10:30", "2024-03-04T09:12:00", "answered"))
    done = ic.service.replay(rows[0][0], fixed)
    assert (done.status, done.customer_id) == ("stored", "C1")
    assert ic.rows("SELECT status, interaction_id FROM quarantine WHERE quarantine_id = :q",
                   q=rows[0][0]) == [("replayed", done.interaction_id)]
    assert ic.rows("SELECT handling_seconds, wait_seconds FROM interaction WHERE "
                   "external_id = 'c2'") == [(90, 30)]
    from kubus.oltp.errors import Conflict

    try:
        ic.service.replay(rows[0][0])
    except Conflict as exc:
        assert exc.code == "already_replayed"
    else:
        raise AssertionError("a replayed entry must not replay again")


def test_identification_by_e164_email_number_ambiguous_and_prospect(ic: Ic) -> None:
    variants = ["+49 30 1234567", "0049301234567", "(030) 123-4567", "+49-30-1234567"]
    rows = [call_row(f"k{n}", number, f"2024-03-04T10:0{n}:00", f"2024-03-04T10:0{n}:05",
                     f"2024-03-04T10:0{n}:50", "answered") for n, number in enumerate(variants)]
    rows += [call_row("amb", "040 5550100", "2024-03-04T11:00:00", "2024-03-04T11:00:03",
                      "2024-03-04T11:01:00"),
             call_row("u1", "+44 20 7946 0958", "2024-03-04T12:00:00", "",
                      "2024-03-04T12:00:30", "abandoned"),
             call_row("u2", "+44 20 7946 0958", "2024-03-04T12:05:00", "2024-03-04T12:05:09",
                      "2024-03-04T12:08:00")]
    report = ic.service.ingest("calls", calls_csv(*rows))
    statuses = {i.external_id: (i.identification, i.customer_id) for i in report.items}
    for n in range(4):
        assert statuses[f"k{n}"] == ("identified", "C1")
    assert statuses["amb"] == ("ambiguous", None)
    assert ic.rows("SELECT c.customer_id, c.matched_on FROM interaction_candidate c JOIN "
                   "interaction i ON i.interaction_id = c.interaction_id WHERE i.external_id "
                   "= 'amb' ORDER BY 1") == [("C2", "phone"), ("C3", "phone")]
    prospects = ic.rows("SELECT DISTINCT i.prospect_id, p.phone FROM interaction i JOIN "
                        "prospect p ON p.prospect_id = i.prospect_id")
    assert [p[1] for p in prospects] == ["+442079460958"]  # one prospect for both calls
    form = {"form_id": "F-1", "submitted_at": "2024-03-04T13:00:00Z",
            "email": "someone@else.example", "subject": "Rechnung",
            "message": "Unsere Kundennummer: C2 - bitte Rechnung erneut senden."}
    (item,) = ic.service.ingest("web-forms", as_json(form)).items
    assert (item.identification, item.customer_id) == ("identified", "C2")
    # A customer whose e-mail address changes is found by the new address at once.
    ic.service.ingest("web-forms", as_json({**form, "form_id": "F-2", "message": "hallo",
                                            "email": " INFO@beta.example "}))
    assert ic.rows("SELECT customer_id, identification FROM interaction WHERE external_id = "
                   "'F-2'") == [("C2", "identified")]


def test_ic1_service_level_and_abandonment_from_stored_calls(ic: Ic) -> None:
    """IC-1 (domain.md §6.6): 200 offered, 10 short abandons, 152 answered within 20 s, 180
    answered -> service level 152/190 = 80.0 %, abandonment (200 - 180)/200 = 10.0 %."""
    records = []
    for n in range(200):
        start = f"2024-03-04T{8 + n // 60:02d}:{n % 60:02d}:00"
        if n < 20:  # abandoned: 10 within 3 s (short abandons), 10 after 45 s
            wait = 3 if n < 10 else 45
            records.append({"call_id": f"ic1-{n}", "caller": "+49 30 1234567",
                            "start": start, "end": _plus(start, wait),
                            "outcome": "abandoned", "queue": "service"})
            continue
        wait = 15 if n < 20 + 152 else 40  # 152 within 20 s, 28 later
        records.append({"call_id": f"ic1-{n}", "caller": "+49 30 1234567", "start": start,
                        "answer": _plus(start, wait), "end": _plus(start, wait + 200),
                        "queue": "service", "agent": "anna"})
    report = ic.service.ingest("calls", as_json(*records))
    assert report.stored == 200
    offered, answered, within, short = ic.rows(
        "SELECT COUNT(*), SUM(CASE WHEN abandoned THEN 0 ELSE 1 END), "
        "SUM(CASE WHEN NOT abandoned AND wait_seconds <= 20 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN abandoned AND wait_seconds < 5 THEN 1 ELSE 0 END) "
        "FROM interaction WHERE channel = 'phone'")[0]
    assert (offered, answered, within, short) == (200, 180, 152, 10)
    assert round(100 * within / (offered - short), 1) == 80.0
    assert round(100 * (offered - answered) / offered, 1) == 10.0


def test_every_channel_stores_its_own_fields(ic: Ic) -> None:
    chat = {"chat_id": "chat-9", "started_at": "2024-03-04T14:00:00", "customer_id": "C1",
            "answered_at": "2024-03-04T14:00:40", "ended_at": "2024-03-04T14:06:40",
            "queue": "web", "agent": "ben", "topic": "delivery",
            "messages": [{"from": "customer", "text": "Wo bleibt meine Lieferung?"},
                         {"from": "agent", "text": "Sie ist unterwegs."}]}
    letter = {"document_id": "scan-1", "sender_name": "Beta AG", "received_date": "2024-03-04",
              "document_type": "Complaint", "customer_number": "C2", "text": "Beschwerde"}
    fax = {"fax_id": "fx-1", "sender_number": "+49 40 1112223", "pages": 2,
           "received_at": "2024-03-04T08:00:00+01:00", "text": "bitte um Rückruf"}
    for adapter, record in (("chats", chat), ("letters", letter), ("faxes", fax)):
        assert ic.service.ingest(adapter, as_json(record)).stored == 1
    rows = {r[0]: r[1:] for r in ic.rows(
        "SELECT channel, customer_id, identification, wait_seconds, handling_seconds, "
        "pages, document_type, started_at FROM interaction")}
    assert rows["chat"][:4] == ("C1", "identified", 40, 360)
    assert rows["letter"][:2] == ("C2", "identified")
    assert rows["letter"][5] == "complaint"
    assert rows["fax"][1] == "prospect"
    assert rows["fax"][4] == 2
    assert str(rows["fax"][6]).startswith("2024-03-04 07:00:00")


def test_a_new_service_on_the_same_database_sees_earlier_customers(ic: Ic) -> None:
    other = IngestService(ic.engine, checker=StockOnlyChecker(), today=lambda: TODAY)
    (item,) = other.ingest("email", email("x@acme.example")).items
    assert item.customer_id == "C1"


def _raw(data: bytes) -> object:
    from kubus.channels.base import RawItem

    return RawItem(data, "test")


def _plus(stamp: str, seconds: int) -> str:
    from datetime import datetime, timedelta

    return (datetime.fromisoformat(stamp) + timedelta(seconds=seconds)).isoformat()


def test_concurrent_deliveries_of_the_same_batch_store_each_message_once(ic: Ic) -> None:
    import threading

    rows = [call_row(f"cc{n}", f"+44 20 7946 {n:04d}", "2024-03-04T09:00:00",
                     "2024-03-04T09:00:05", "2024-03-04T09:01:00") for n in range(60)]
    data = calls_csv(*rows)
    services = [IngestService(ic.engine, checker=StockOnlyChecker(), today=lambda: TODAY)
                for _ in range(3)]
    reports: list[object] = []
    barrier = threading.Barrier(len(services))

    def deliver(service: IngestService) -> None:
        barrier.wait()
        reports.append(service.ingest("calls", data))

    threads = [threading.Thread(target=deliver, args=(s,)) for s in services]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    stored = [r.stored for r in reports]  # type: ignore[attr-defined]
    duplicates = [r.duplicates for r in reports]  # type: ignore[attr-defined]
    assert sum(stored) == 60
    assert [s + d for s, d in zip(stored, duplicates, strict=True)] == [60] * 3
    assert ic.scalar("SELECT COUNT(*) FROM interaction") == 60
    assert ic.scalar("SELECT COUNT(*) FROM prospect") == 60
