"""Channel ingest throughput per adapter into the SQLite store, against a plain ``executemany``
of the same normalised rows.

Usage (from the repository root)::

    python bench/bench_channels.py --messages 5000 --repeat 5 --out docs/bench-channels.md

A template database is migrated once with master data (``--customers`` customers with e-mail
addresses and phone numbers); every measured round copies it, so each round ingests into the
same state. Service: :meth:`IngestService.ingest_items` on raw messages generated here (e-mails
as RFC 5322 bytes, a third multipart with an attachment, non-ASCII names; call records as CSV
rows; faxes, letters, web forms and chats as JSON objects): parse, deduplicate, identify
(80 % known senders), store interactions, attachments and prospects and the change log, 500
messages per transaction. Baseline: the interaction rows the service wrote, read back and
inserted again into a fresh copy with ``executemany`` plus their change-log rows, in the same
500-row transactions: no parsing, no lookups, no identification. A third figure re-delivers
the same messages (all duplicates: parse and one lookup per batch, nothing written).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kubus.channels.base import RawItem  # noqa: E402
from kubus.channels.ingest import BATCH, IngestService  # noqa: E402
from kubus.channels.registry import default_registry  # noqa: E402
from kubus.oltp import changelog  # noqa: E402
from kubus.oltp import masterdata as md  # noqa: E402
from kubus.oltp.availability import StockOnlyChecker  # noqa: E402
from kubus.oltp.migrate import upgrade  # noqa: E402
from kubus.oltp.schema_interactions import (  # noqa: E402
    interaction,
    interaction_attachment,
    prospect,
)
from kubus.oltp.store import open_store, transaction  # noqa: E402

ADAPTERS = ("email", "calls", "faxes", "letters", "web-forms", "chats")
TODAY = dt.date(2024, 3, 4)


def customers(n: int) -> list[md.Customer]:
    return [md.Customer(f"B{k:06d}", f"Kunde {k} GmbH", "DE", email=f"info{k}@kunde{k}.example",
                        phone=f"030 {5_000_000 + k}") for k in range(n)]


def _sender(rng: random.Random, n_customers: int) -> tuple[str, str]:
    if rng.random() < 0.8:
        k = rng.randrange(n_customers)
        return f"Jörg Müller <info{k}@kunde{k}.example>", f"+49 30 {5_000_000 + k}"
    k = rng.randrange(10**6)
    return f"Unbekannt {k} <mail{k}@other.example>", f"+44 20 7{k:06d}"


def make_items(adapter: str, n: int, n_customers: int, seed: int) -> list[RawItem]:
    rng = random.Random(seed)
    registry = default_registry()
    start = dt.datetime(2024, 3, 4, 8, 0)
    if adapter == "email":
        items = []
        for k in range(n):
            sender, _ = _sender(rng, n_customers)
            message = EmailMessage()
            message["From"] = sender
            message["To"] = "Vertrieb <sales@kubus.example>"
            message["Subject"] = f"Anfrage {k}: Lieferung nach Köln"
            message["Message-ID"] = f"<bench-{k}@mail.example>"
            message["Date"] = "Mon, 04 Mar 2024 09:15:00 +0100"
            message.set_content(f"Guten Tag,\nbitte um Rückruf zu Vorgang {k}.\nGrüße\n")
            if k % 3 == 0:
                message.add_attachment(b"%PDF" + bytes(2000), maintype="application",
                                       subtype="pdf", filename=f"Übersicht {k}.pdf")
            items.append(RawItem(bytes(message), "bench"))
        return items
    if adapter == "calls":
        lines = ["call_id,caller,called,queue,agent,start,answer,end,outcome"]
        for k in range(n):
            _, phone = _sender(rng, n_customers)
            t0 = start + dt.timedelta(seconds=7 * k)
            if k % 10 == 0:
                lines.append(f"call-{k},{phone},+49 40 999,sales,,{t0.isoformat()},,"
                             f"{(t0 + dt.timedelta(seconds=30)).isoformat()},abandoned")
            else:
                lines.append(f"call-{k},{phone},+49 40 999,sales,agent{k % 20},"
                             f"{t0.isoformat()},{(t0 + dt.timedelta(seconds=12)).isoformat()},"
                             f"{(t0 + dt.timedelta(seconds=200)).isoformat()},answered")
        return registry.get("calls").split(("\n".join(lines) + "\n").encode(), "bench.csv")
    records: list[dict[str, Any]] = []
    for k in range(n):
        sender, phone = _sender(rng, n_customers)
        address = sender.split("<")[1].rstrip(">")
        stamp = (start + dt.timedelta(seconds=k)).isoformat()
        records.append({
            "faxes": {"fax_id": f"fax-{k}", "sender_number": phone, "pages": 2,
                      "received_at": stamp, "text": "Bitte um Rückruf"},
            "letters": {"document_id": f"scan-{k}", "sender_name": sender.split("<")[0],
                        "received_date": "2024-03-04", "document_type": "letter",
                        "email": address, "text": "Sehr geehrte Damen und Herren"},
            "web-forms": {"form_id": f"form-{k}", "submitted_at": stamp, "email": address,
                          "subject": "Katalog", "message": "Bitte senden Sie einen Katalog"},
            "chats": {"chat_id": f"chat-{k}", "started_at": stamp, "answered_at": stamp,
                      "ended_at": stamp, "email": address, "queue": "web", "agent": "bot",
                      "messages": [{"from": "customer", "text": "Hallo"},
                                   {"from": "agent", "text": "Guten Tag"}]},
        }[adapter])
    return registry.get(adapter).split(json.dumps(records).encode(), "bench.json")


def timed(run: Callable[[], object]) -> float:
    began = time.perf_counter()
    run()
    return time.perf_counter() - began


def read_rows(engine: sa.Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as conn:
        return {t.name: [dict(r._mapping) for r in conn.execute(sa.select(t))]
                for t in (prospect, interaction, interaction_attachment)}


def run_baseline(engine: sa.Engine, tables: dict[str, list[dict[str, Any]]]) -> None:
    """The rows the service wrote, in transactions of BATCH interactions with their
    attachments and change-log rows (prospects in the first)."""
    rows = tables["interaction"]
    attachments: dict[int, list[dict[str, Any]]] = {}
    for a in tables["interaction_attachment"]:
        attachments.setdefault(a["interaction_id"], []).append(a)
    for start in range(0, len(rows), BATCH):
        chunk = rows[start:start + BATCH]
        extra = [a for r in chunk for a in attachments.get(r["interaction_id"], ())]
        with transaction(engine) as conn:
            changes = []
            if start == 0 and tables["prospect"]:
                conn.execute(prospect.insert(), tables["prospect"])
                changes += [changelog.Change("prospect", str(p["prospect_id"]))
                            for p in tables["prospect"]]
            conn.execute(interaction.insert(), chunk)
            if extra:
                conn.execute(interaction_attachment.insert(), extra)
            changes += [changelog.Change("interaction", str(r["interaction_id"]))
                        for r in chunk]
            changes += [changelog.Change("interaction_attachment",
                                         f"{a['interaction_id']}/{a['attachment_no']}")
                        for a in extra]
            changelog.append(conn, changes)


def measure(template: Path, work: Path, adapter: str, items: list[RawItem], repeat: int
            ) -> dict[str, float]:
    service_s, baseline_s, redeliver_s, directory_s = [], [], [], []
    for _ in range(repeat):
        shutil.copyfile(template, work)
        engine = open_store(f"sqlite:///{work}")
        service = IngestService(engine, checker=StockOnlyChecker(), today=lambda: TODAY)
        # Set-up, once per process, not per message: the region lookup and the first load
        # of the customer directory (later batches only read customers changed since).
        with engine.connect() as conn:
            directory_s.append(timed(lambda c=conn, s=service: s.directory().refresh(c)))
        service_s.append(timed(lambda s=service: s.ingest_items(adapter, items)))
        redeliver_s.append(timed(lambda s=service: s.ingest_items(adapter, items)))
        rows = read_rows(engine)
        engine.dispose()
        shutil.copyfile(template, work)
        engine = open_store(f"sqlite:///{work}")
        baseline_s.append(timed(lambda e=engine, r=rows: run_baseline(e, r)))
        engine.dispose()
    n = len(items)
    return {"service": n / statistics.median(service_s),
            "baseline": n / statistics.median(baseline_s),
            "redeliver": n / statistics.median(redeliver_s),
            "directory": statistics.median(directory_s)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000, help="messages per adapter")
    parser.add_argument("--customers", type=int, default=5000, help="customers in the store")
    parser.add_argument("--repeat", type=int, default=5, help="measured rounds")
    parser.add_argument("--adapters", default=",".join(ADAPTERS), help="comma-separated")
    parser.add_argument("--out", type=Path, help="write the results as Markdown here")
    args = parser.parse_args(argv)
    load_start = os.getloadavg()[0]
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.sqlite"
        upgrade(f"sqlite:///{template}")
        engine = open_store(f"sqlite:///{template}")
        md.create(engine, customers(args.customers))
        engine.dispose()
        for adapter in args.adapters.split(","):
            items = make_items(adapter, args.messages, args.customers, seed=7)
            results[adapter] = measure(template, Path(tmp) / "work.sqlite", adapter, items,
                                       args.repeat)
            r = results[adapter]
            print(f"{adapter:<10} service {r['service']:>8,.0f}/s  baseline "
                  f"{r['baseline']:>8,.0f}/s  ratio {r['service'] / r['baseline']:.2f}  "
                  f"redelivery {r['redeliver']:>8,.0f}/s  directory load "
                  f"{r['directory']:.2f} s", flush=True)
    if args.out:
        command = "python bench/bench_channels.py " + shlex.join(argv or sys.argv[1:])
        args.out.write_text(report(command, results, args, (load_start, os.getloadavg()[0])),
                            encoding="utf-8")
    return 0


def report(command: str, results: dict[str, dict[str, float]], args: argparse.Namespace,
           load: tuple[float, float]) -> str:
    rows = "\n".join(
        f"| {name} | {r['service']:,.0f} | {r['baseline']:,.0f} | "
        f"{r['service'] / r['baseline']:.2f} | {r['redeliver']:,.0f} |"
        for name, r in results.items())
    return f"""# Channel ingest benchmark

- Command: `{command}`
- Date: {dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
- Machine: {platform.processor() or platform.machine()}, nproc {os.cpu_count()}, \
{platform.platform()}
- Python {platform.python_version()}, SQLAlchemy {sa.__version__}; 1-minute load average
  {load[0]:.2f} at the start and {load[1]:.2f} at the end (other work on the machine slows
  the wall-clock figures)
- {args.messages} messages per adapter, {args.customers} customers in the store, {args.repeat}
  measured rounds, each into a fresh copy of the same database; medians. One process, one
  thread, {BATCH} messages per transaction, SQLite file in WAL mode.
- Service: `IngestService.ingest_items` on raw messages (parse, deduplicate, identify,
  store, change log). Baseline: the same interaction rows and change-log rows written with
  `executemany` and nothing else. Redelivery: the same messages again (all duplicates).
- Not timed: the first load of the customer directory (normalising every customer's phone
  number and e-mail address once per process; later batches read only the customers changed
  since, from the change log): {next(iter(results.values()))['directory']:.2f} s for
  {args.customers} customers.

| adapter | service messages/s | baseline rows/s | service/baseline | redelivery messages/s |
|---|---:|---:|---:|---:|
{rows}

The goal is at least 1,000 messages per second for e-mail and for call records in one process.

Reading the figures:

- The baseline only writes; the service also parses, deduplicates (one query per batch),
  identifies (in memory after one change-log query per batch), creates prospects for unknown
  senders and links e-mail threads (one query per batch).
- E-mail is bound by parsing: the redelivery column (parse plus one duplicate lookup per batch,
  nothing written) is the ceiling. The standard library's parser compiles a regular expression
  for every multipart boundary and decodes every part; the adapter walks the MIME tree once in
  `compat32` mode and decodes only the headers it keeps. With `policy.default`, whose header
  registry re-parses `Content-Type` on every access, e-mail ran at about 250 messages/s.
- JSON and CSV records parse in microseconds; their service rate is the store's: one
  `INSERT ... RETURNING` per batch for the surrogate keys, the change log, the lookups.
- The machine was shared with other work (see the load average); compare the ratios, not the
  absolute rates, between runs.
"""


if __name__ == "__main__":
    sys.exit(main())
