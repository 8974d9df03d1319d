"""``kubus channels`` and folder polling: maildir, mbox and drop folders, the quarantine."""

from __future__ import annotations

import mailbox
from pathlib import Path

from channels_inputs import Ic, as_json, call_row, calls_csv, email
from click.testing import CliRunner

from kubus.channels.folders import poll_folder
from kubus.server.cli import main

pytest_plugins = ["channels_support"]


def _run(ic: Ic, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["channels", *args, "--url", ic.oltp.url])
    return result.exit_code, result.output


def test_ingest_a_maildir_and_an_mbox_once(ic_sqlite: Ic, tmp_path: Path) -> None:
    ic = ic_sqlite
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for n in range(3):
        box.add(email(f"md{n}@acme.example"))
    box.add(b"From: nobody\nSubject: no id\n\nbody\n")
    mbox = mailbox.mbox(tmp_path / "archive.mbox", create=True)
    mbox.add(email("md0@acme.example"))   # the same message again: a duplicate
    mbox.add(email("mb1@beta.example", sender="info@beta.example"))
    mbox.flush()
    code, out = _run(ic, "ingest", "--channel", "email", str(tmp_path / "Maildir"),
                     str(tmp_path / "archive.mbox"), "--today", "2024-03-04")
    assert code == 0, out
    assert "6 messages: 4 stored, 1 duplicates, 1 quarantined" in out
    assert "no Message-ID" in out
    assert ic.scalar("SELECT COUNT(*) FROM interaction") == 4
    code, out = _run(ic, "quarantine")
    assert code == 0 and "no Message-ID" in out and "email" in out


def test_replay_with_a_corrected_payload(ic_sqlite: Ic, tmp_path: Path) -> None:
    ic = ic_sqlite
    bad = call_row("c9", "030 1234567", "yesterday", "", "")
    (tmp_path / "cdr.csv").write_bytes(calls_csv(bad))
    code, out = _run(ic, "ingest", "--channel", "calls", str(tmp_path / "cdr.csv"))
    assert code == 0 and "1 quarantined" in out
    qid = ic.scalar("SELECT quarantine_id FROM quarantine")
    code, out = _run(ic, "replay", str(qid))
    assert code == 1 and "still malformed" in out
    fixed = tmp_path / "fixed.csv"
    fixed.write_bytes(calls_csv(call_row("c9", "030 1234567", "2024-03-03T17:00:00", "",
                                         "2024-03-03T17:00:20", "abandoned")))
    code, out = _run(ic, "replay", str(qid), "--payload", str(fixed))
    assert code == 0, out
    assert ic.rows("SELECT external_id, customer_id, abandoned FROM interaction") == [
        ("c9", "C1", True)]
    code, out = _run(ic, "replay", str(qid))
    assert code == 2 and "already_replayed" in out
    code, out = _run(ic, "replay", "999999")
    assert code == 2 and "unknown_quarantine_item" in out


def test_bad_cli_input_is_a_clear_error(ic_sqlite: Ic, tmp_path: Path) -> None:
    ic = ic_sqlite
    code, out = _run(ic, "ingest", "--channel", "telex", str(tmp_path))
    assert code == 2 and "telex" in out
    code, out = _run(ic, "ingest", "--channel", "calls", str(tmp_path / "missing.csv"))
    assert code == 2 and "does not exist" in out
    code, out = _run(ic, "ingest", "--channel", "faxes", str(tmp_path))  # empty folder
    assert code == 2 and "no faxes input" in out
    assert "Traceback" not in out


def test_poll_folder_moves_files_and_never_ingests_twice(ic_sqlite: Ic, tmp_path: Path) -> None:
    ic = ic_sqlite
    drop = tmp_path / "fax"
    drop.mkdir()
    (drop / "a.json").write_bytes(as_json(
        {"fax_id": "p1", "sender_number": "030 1234567", "received_at": "2024-03-04T08:00:00"},
        {"fax_id": "p2", "received_at": "2024-03-04T08:05:00"}))
    (drop / "b.json").write_bytes(b"{ not json")
    (drop / "notes.txt").write_text("ignored")
    first = poll_folder(ic.service, "faxes", drop)
    assert (first.report.stored, first.report.quarantined) == (2, 1)
    assert sorted(p.name for p in (drop / "processed").iterdir()) == ["a.json", "b.json"]
    assert sorted(p.name for p in drop.iterdir() if p.is_file()) == ["notes.txt"]
    assert poll_folder(ic.service, "faxes", drop).report.received == 0
    # The same file delivered again (e.g. after a crash before the move): duplicates only.
    (drop / "a.json").write_bytes((drop / "processed" / "a.json").read_bytes())
    again = poll_folder(ic.service, "faxes", drop)
    assert (again.report.stored, again.report.duplicates) == (0, 2)
    assert (drop / "processed" / "a.1.json").is_file()
    # A maildir: new messages move to cur/ with the seen flag.
    box = mailbox.Maildir(tmp_path / "inbox", create=True)
    box.add(email("poll1@acme.example"))
    result = poll_folder(ic.service, "email", tmp_path / "inbox")
    assert result.report.stored == 1
    assert not list((tmp_path / "inbox" / "new").iterdir())
    assert [p.name.endswith(":2,S") for p in (tmp_path / "inbox" / "cur").iterdir()] == [True]
    assert poll_folder(ic.service, "email", tmp_path / "inbox").report.received == 0
