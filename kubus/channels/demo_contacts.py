"""Demo activity for the interaction center: raw inbound contacts, ingested like real ones.

:func:`build_demo_contacts` makes, deterministically for a seed (a numpy ``Generator``), the raw
input an interaction center receives from the existing customers of one source system over the
``days`` days up to ``as_of``: RFC 5322 e-mails (some with ``ORDER`` lines, some follow-ups in
a thread, non-ASCII names encoded per RFC 2047, PDF attachments), a PBX's call detail records
(CSV; answered within and after 20 s, short and long abandons, queues and agents, waits that
grow with the hour's load), fax records with recognised order text, the scanned-mail index,
web forms, web-shop orders and chat transcripts (JSON). About 7 % come from unknown senders
(prospects) and 3 % of the orders name a material that does not exist (refused, with a reply).
Volumes, mixes and times are documented in ``docs/channels.md`` ("Demo activity").

:func:`ingest_demo_contacts` feeds them through :class:`~kubus.channels.ingest.IngestService`
day by day, in the import runs of each day (:data:`RUNS`), so that orders and their
availability checks carry the contact's day as business date. Example::

    days = build_demo_contacts(engine, as_of=date(2024, 3, 31), contacts=5000)
    report = ingest_demo_contacts(engine, days, checker=AtpChecker())
    report.stored, report.orders_created
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from typing import Any, TypeVar

import numpy as np
import sqlalchemy as sa

from kubus.channels.base import RawItem
from kubus.channels.identify import CustomerDirectory
from kubus.channels.ingest import IngestService
from kubus.oltp import schema
from kubus.oltp.availability import AvailabilityChecker
from kubus.oltp.store import read_only

T = TypeVar("T")

__all__ = ["ADAPTER_MIX", "RUNS", "DemoContactsReport", "DemoDay", "build_demo_contacts",
           "ingest_demo_contacts"]

#: Share of the contacts per adapter (a B2B wholesaler's interaction center: the telephone
#: first, e-mail second, the web shop growing, fax and letter still alive).
ADAPTER_MIX: Mapping[str, float] = {
    "calls": 0.40, "email": 0.24, "chats": 0.10, "web-orders": 0.09, "web-forms": 0.06,
    "faxes": 0.07, "letters": 0.04}
#: Weekday weights, Monday first: the office is closed on Sunday, the web shop is not.
WEEKDAY = np.array([1.15, 1.0, 0.95, 0.95, 0.85, 0.15, 0.05])
#: Arrivals per hour of the day (UTC) in office channels: peaks mid-morning and early afternoon.
OFFICE_HOURS = np.array([0, 0, 0, 0, 0, 0, 0, 2, 6, 10, 11, 9, 6, 8, 10, 9, 7, 4, 2, 0, 0, 0,
                         0, 0], dtype=float)
#: E-mail and the web shop: around the clock, but mostly in office hours.
ANY_HOURS = OFFICE_HOURS + np.array([1, .5, .3, .3, .3, .5, 1, 2] + [2] * 12 + [3, 3, 2, 1.5])
#: The import runs of a day (hour): contacts completed before a run are ingested in it, with
#: the run's time as the time Kubus stored them and sent replies.
RUNS = (10, 13, 16, 24)
#: Orders among an adapter's contacts (the web-shop order adapter carries only orders).
ORDER_SHARE: Mapping[str, float] = {"email": 0.32, "faxes": 0.85, "letters": 0.2,
                                    "web-orders": 1.0}
PROSPECT_SHARE = 0.07
UNKNOWN_MATERIAL_SHARE = 0.03
#: Calls: queue, share, median talk time (s); chats have one queue.
QUEUES = (("sales", 0.45, 210.0), ("service", 0.35, 330.0), ("billing", 0.20, 180.0))
TOPICS: Mapping[str, tuple[str, ...]] = {
    "sales": ("order_status", "product_info", "price_request", "order_change"),
    "service": ("delivery_status", "complaint", "return", "technical_question"),
    "billing": ("invoice_question", "payment", "credit_note"),
    "web": ("product_question", "return_request", "address_change", "complaint"),
    "letters": ("letter", "complaint", "invoice", "contract")}
AGENTS = ("anna.schmidt", "jonas.weber", "lea.mueller", "tom.becker", "sara.fischer",
          "max.wagner", "nina.hoffmann", "paul.koch", "emma.richter", "lukas.klein")
PEOPLE = ("Jürgen Weiß", "Zoë Dubois", "Łukasz Nowak", "Søren Ødegaard", "José Peña",
          "François Lefèvre", "Anna Schmidt", "John Miller", "Emily Clarke", "Mehmet Öztürk",
          "Ingrid Bergström", "Paolo Rossi", "Sarah O'Neill", "Chloé Martin")
HOTLINE = "+49 40 999000"
ORDER_SUBJECTS = ("Order", "Bestellung", "Purchase order", "Nachbestellung", "Commande")
INQUIRY_SUBJECTS = ("Question about delivery", "Lieferstatus", "Invoice query",
                    "Price request", "Complaint: damaged goods", "Rücksendung")


@dataclass(frozen=True)
class DemoDay:
    """One day's raw input, per adapter in ingest order, split into the day's runs."""

    day: date
    runs: tuple[tuple[int, Mapping[str, tuple[RawItem, ...]]], ...]


@dataclass(frozen=True)
class DemoContactsReport:
    """What the ingest stored: messages per adapter, orders, refusals, quarantine."""

    stored: Mapping[str, int] = field(default_factory=dict)
    orders_created: int = 0
    orders_rejected: int = 0
    duplicates: int = 0
    quarantined: int = 0

    @property
    def total(self) -> int:
        return sum(self.stored.values())


@dataclass(frozen=True)
class _Customers:
    ids: np.ndarray
    names: np.ndarray
    emails: np.ndarray
    phones: np.ndarray
    materials: tuple[tuple[str, ...], ...]  # orderable materials per customer


def _customers(engine: sa.Engine) -> tuple[_Customers, str]:
    """The customers with their orderable materials (price in the sales area's currency and
    a plant record at the delivering plant), and the source system's id."""
    area, price, plant, cust = (schema.customer_sales_area, schema.sales_price,
                                schema.material_plant, schema.customer)
    group = (area.c.sales_org, area.c.distribution_channel, area.c.currency,
             area.c.delivering_plant)
    # Per distinct sales area, not per customer: customers x materials would be millions.
    areas = sa.select(*group).distinct().subquery()
    offers = (sa.select(*areas.c, price.c.material_id).distinct()
              .select_from(areas.join(price, sa.and_(
                  price.c.sales_org == areas.c.sales_org,
                  price.c.distribution_channel == areas.c.distribution_channel,
                  price.c.currency == areas.c.currency))
                  .join(plant, sa.and_(plant.c.material_id == price.c.material_id,
                                       plant.c.plant == areas.c.delivering_plant)))
              .order_by(*areas.c, price.c.material_id))
    with read_only(engine) as conn:
        rows = conn.execute(sa.select(cust.c.customer_id, cust.c.name, cust.c.email,
                                      cust.c.phone).order_by(cust.c.customer_id)).all()
        first_area = {r[0]: tuple(r[1:]) for r in conn.execute(
            sa.select(area.c.customer_id, *group).order_by(area.c.customer_id, *group))
            .all()[::-1]}  # reversed: the first area of each customer wins
        offered: dict[tuple[Any, ...], list[str]] = {}
        for *key, material_id in conn.execute(offers):
            offered.setdefault(tuple(key), []).append(material_id)
        system = conn.execute(sa.select(schema.system_info.c.system_id)).scalar() or "KUBUS"
    if not rows:
        raise ValueError("the source system has no customers to make contacts for")
    ids, names, emails, phones = (np.array([v or "" for v in col], dtype=object)
                                  for col in zip(*rows, strict=True))
    return _Customers(ids, names, emails, phones, tuple(
        tuple(offered.get(first_area.get(r[0], ()), ())) for r in rows)), system.lower()


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class _Builder:
    """Turns the drawn attributes of each contact into the raw input of its adapter."""

    def __init__(self, rng: np.random.Generator, people: _Customers, system: str) -> None:
        self.rng = rng
        self.people = people
        self.system = system
        self.emails_by_customer: dict[int, list[tuple[str, str]]] = {}

    def pick(self, options: Sequence[str]) -> str:
        return options[int(self.rng.integers(len(options)))]

    def order_text(self, who: int, number: int, start: datetime) -> str:
        """``ORDER`` lines (docs/channels.md) for 1-4 materials the customer can order."""
        offered = self.people.materials[who]
        lines = []
        for material_id in self.rng.choice(offered, size=min(len(offered),
                                           int(self.rng.integers(1, 5))), replace=False):
            qty = max(1, int(self.rng.lognormal(1.6, 0.7)))
            by = ""
            if self.rng.random() < 0.6:  # a wanted date some days out, else "as soon as"
                by = f" by {start.date() + timedelta(days=int(self.rng.integers(5, 22)))}"
            lines.append(f"ORDER {material_id} {qty} PC{by}")
        if self.rng.random() < UNKNOWN_MATERIAL_SHARE:
            lines.append(f"ORDER X{int(self.rng.integers(10_000, 99_999))} 5")
        return "\n".join([*lines, f"REF PO-{self.system[:3].upper()}-{number:06d}"])

    def sender(self, who: int | None, number: int) -> tuple[str, str, str]:
        """(name, e-mail, phone) of a customer as registered, or of an unknown prospect."""
        if who is None:
            return (self.pick(PEOPLE), f"einkauf@prospect-{number}.example",
                    f"+49 30 {5_000_000 + number}")
        # Not registered: a number or address the directory cannot match (a prospect).
        email = str(self.people.emails[who]) or f"info@customer-{number}.example"
        return str(self.people.names[who]), email, self._dialled(who, number)

    def _dialled(self, who: int, number: int) -> str:
        """A caller number as a PBX shows it: E.164, the stored form, or national (DE)."""
        phone = str(self.people.phones[who]) or f"+49 40 {6_000_000 + number}"
        if phone.startswith("+49") and self.rng.random() < 0.5:
            return "0" + phone[3:].strip()
        return phone.replace(" ", "") if self.rng.random() < 0.5 else phone

    def email(self, n: int, who: int | None, start: datetime, ordering: bool) -> RawItem:
        """One RFC 5322 message (``compat32`` classes: ``policy.default`` folds headers ten
        times slower); non-ASCII names and subjects as RFC 2047 encoded words."""
        name, address, _ = self.sender(who, n)
        message_id = f"{self.system}-{n:06d}@{address.rsplit('@', 1)[1]}"
        person = self.pick(PEOPLE)
        earlier = self.emails_by_customer.get(who, []) if who is not None else []
        headers: dict[str, str] = {}
        attachment = None
        if not ordering and earlier and self.rng.random() < 0.45:
            root, subject = earlier[-1]
            subject = f"Re: {subject}"
            headers = {"In-Reply-To": f"<{root}>", "References": f"<{root}>"}
            body = f"Hello,\nany news on this?\n\nRegards,\n{person}\n"
        else:
            subject = f"{self.pick(ORDER_SUBJECTS if ordering else INQUIRY_SUBJECTS)} {name}"
            text = (self.order_text(who, n, start) if ordering and who is not None
                    else "Please get back to me about our last delivery.")
            body = f"Guten Tag,\n\n{text}\n\nMit freundlichen Grüßen\n{person}\n"
            if ordering and self.rng.random() < 0.3:
                attachment = MIMEApplication(b"%PDF-1.4\n% purchase order\n" * 20, "pdf")
                attachment.add_header("Content-Disposition", "attachment",
                                      filename=f"Bestellung-{n}.pdf")
            if who is not None:  # a customer's later mail may follow up on this one
                self.emails_by_customer.setdefault(who, []).append((message_id, subject))
        message: Message = MIMEText(body, "plain", "utf-8")
        if attachment is not None:
            # A fixed boundary: the default one is random, the bytes must follow the seed.
            message = MIMEMultipart(boundary=f"=_{message_id}", _subparts=[message, attachment])
        message["From"] = formataddr((f"{person} ({name})"[:70], address), "utf-8")
        message["To"] = "Vertrieb Kubus <orders@kubus.example>"
        message["Subject"] = subject if subject.isascii() else Header(subject, "utf-8").encode()
        message["Date"] = format_datetime(start.replace(tzinfo=UTC), usegmt=True)
        message["Message-ID"] = f"<{message_id}>"
        for header, value in headers.items():
            message[header] = value
        return RawItem(message.as_bytes(), f"demo:email:{n}")

    def call(self, n: int, who: int | None, start: datetime, load: float) -> dict[str, str]:
        """One CDR row: the wait grows with the hour's load; a caller hangs up after an
        exponential patience; talk time is lognormal around the queue's median."""
        queue, _, talk = QUEUES[int(self.rng.choice(3, p=[q[1] for q in QUEUES]))]
        _, _, phone = self.sender(who, n)
        outbound = self.rng.random() < 0.06
        wait = 0.0 if outbound else float(self.rng.exponential(3.0 + 10.0 * load))
        patience = float(self.rng.exponential(120.0))
        row = {"call_id": f"{self.system}-c{n:06d}", "queue": queue, "agent": "",
               "start": _stamp(start), "answer": "", "end": "", "outcome": "",
               "direction": "out" if outbound else "in",
               "topic": self.pick(TOPICS[queue]),
               "caller": HOTLINE if outbound else phone,
               "called": phone if outbound else HOTLINE}
        if outbound and self.rng.random() < 0.3:
            row.update(end=_stamp(start + timedelta(seconds=25)), outcome="no_answer")
        elif not outbound and patience < wait:
            row.update(end=_stamp(start + timedelta(seconds=max(1, round(patience)))),
                       outcome="abandoned")
        else:
            answer = start + timedelta(seconds=round(wait))
            handled = max(20, round(float(self.rng.lognormal(np.log(talk), 0.6))))
            row.update(answer=_stamp(answer), agent=self.pick(AGENTS),
                       end=_stamp(answer + timedelta(seconds=handled)), outcome="answered")
        return row

    def chat(self, n: int, who: int | None, start: datetime, load: float) -> dict[str, Any]:
        name, address, _ = self.sender(who, n)
        topic = self.pick(TOPICS["web"])
        record: dict[str, Any] = {
            "chat_id": f"{self.system}-ch{n:06d}", "started_at": _stamp(start),
            "queue": "webchat", "topic": topic, "name": name, "email": address,
            "customer_id": None if who is None else str(self.people.ids[who])}
        messages = [{"at": _stamp(start), "from": "bot", "text": "Hello! How can we help?"},
                    {"at": _stamp(start), "from": "customer",
                     "text": f"I have a question ({topic.replace('_', ' ')})."}]
        wait = float(self.rng.exponential(4.0 + 14.0 * load))
        patience = float(self.rng.exponential(120.0))
        if patience < wait:  # left before an agent took over
            record["ended_at"] = _stamp(start + timedelta(seconds=max(1, round(patience))))
        else:
            answer = start + timedelta(seconds=round(wait))
            end = answer + timedelta(seconds=round(float(self.rng.lognormal(np.log(300), .5))))
            agent = self.pick(AGENTS)
            record.update(answered_at=_stamp(answer), ended_at=_stamp(end), agent=agent)
            messages.append({"at": _stamp(answer), "from": "agent",
                             "text": f"This is {agent.split('.')[0].title()}, let me check."})
        record["messages"] = messages
        return record

    def paper(self, adapter: str, n: int, who: int | None, start: datetime,
              ordering: bool) -> dict[str, Any]:
        name, address, phone = self.sender(who, n)
        customer_id = None if who is None else str(self.people.ids[who])
        text = (self.order_text(who, n, start) if ordering and who is not None
                else "Please find enclosed the signed delivery note.")
        if adapter == "faxes":
            return {"fax_id": f"{self.system}-f{n:06d}", "sender_number": phone,
                    "recipient_number": "+49 40 999001", "received_at": _stamp(start),
                    "pages": int(self.rng.integers(1, 4)),
                    "text": f"FAX {name}\n{text}",
                    "customer_number": customer_id if self.rng.random() < 0.5 else None}
        kind = "order" if ordering and who is not None else self.pick(TOPICS["letters"])
        return {"document_id": f"{self.system}-l{n:06d}", "sender_name": name,
                "sender_address": f"{name}, {address.rsplit('@', 1)[1]}",
                "received_at": _stamp(start), "document_type": kind, "text": text,
                "customer_number": customer_id if self.rng.random() < 0.6 else None}

    def web(self, adapter: str, n: int, who: int | None, start: datetime) -> dict[str, Any]:
        name, address, _ = self.sender(who, n)
        logged_in = who is not None and self.rng.random() < 0.75
        customer_id = str(self.people.ids[who]) if logged_in and who is not None else None
        # A prospect's basket holds what some customer buys; the order waits for review.
        offered = self.people.materials[who if who is not None else int(
            self.rng.integers(len(self.people.ids)))]
        if adapter == "web-orders" and offered:
            chosen = self.rng.choice(offered, size=min(len(offered), int(
                self.rng.integers(1, 5))), replace=False)
            return {"order_ref": f"{self.system}-w{n:06d}", "submitted_at": _stamp(start),
                    "customer_id": customer_id, "email": None if logged_in else address,
                    "requested_delivery_date": None if self.rng.random() < 0.5 else str(
                        start.date() + timedelta(days=int(self.rng.integers(5, 22)))),
                    "items": [{"material_id": str(m),
                               "quantity": max(1, int(self.rng.lognormal(1.4, 0.8)))}
                              for m in chosen]}
        topic = self.pick(TOPICS["web"])
        return {"form_id": f"{self.system}-wf{n:06d}", "submitted_at": _stamp(start),
                "customer_id": customer_id, "email": address, "name": name, "topic": topic,
                "subject": topic.replace("_", " ").capitalize(),
                "message": f"Dear team, {topic.replace('_', ' ')} - please call me back."}


def _hours(rng: np.random.Generator, profile: np.ndarray, size: int) -> np.ndarray:
    return rng.choice(24, size=size, p=profile / profile.sum())


def build_demo_contacts(engine: sa.Engine, *, as_of: date, contacts: int, days: int = 28,
                        seed: int = 0) -> tuple[DemoDay, ...]:
    """``contacts`` raw inbound contacts (at least one per adapter) of the customers in
    ``engine`` over the ``days`` days up to ``as_of``; the same bytes for the same seed."""
    if contacts < len(ADAPTER_MIX) or days < 1:
        raise ValueError(f"need at least {len(ADAPTER_MIX)} contacts and one day, got "
                         f"{contacts} contacts over {days} days")
    people, system = _customers(engine)
    rng = np.random.default_rng(seed)
    adapters = list(ADAPTER_MIX)
    mix = np.array(list(ADAPTER_MIX.values()))
    kind = rng.choice(len(adapters), size=contacts, p=mix / mix.sum())
    kind[:len(adapters)] = np.arange(len(adapters))  # every channel at least once
    first = as_of - timedelta(days=days - 1)
    weights = WEEKDAY[[(first + timedelta(days=d)).weekday() for d in range(days)]]
    day = rng.choice(days, size=contacts, p=weights / weights.sum())
    office = np.isin(kind, [adapters.index(a) for a in ("calls", "chats", "faxes")])
    hour = np.where(office, _hours(rng, OFFICE_HOURS, contacts),
                    _hours(rng, ANY_HOURS, contacts))
    hour[kind == adapters.index("letters")] = 8  # the morning post, scanned at 8
    second = rng.integers(0, 3600, size=contacts)
    # A few customers call a lot, most rarely: lognormal activity per customer.
    activity = rng.lognormal(0.0, 1.0, size=len(people.ids))
    who = rng.choice(len(people.ids), size=contacts, p=activity / activity.sum())
    prospect = rng.random(contacts) < PROSPECT_SHARE
    ordering = rng.random(contacts) < np.array([ORDER_SHARE.get(a, 0.0) for a in adapters])[kind]
    builder = _Builder(rng, people, system)
    runs: dict[tuple[int, int], dict[str, list[Any]]] = {}
    for n in np.lexsort((second, hour, day)):
        adapter = adapters[kind[n]]
        sender = None if prospect[n] else int(who[n])
        start = datetime.combine(first + timedelta(days=int(day[n])), time(int(hour[n]))) + \
            timedelta(seconds=int(second[n]))
        orders = bool(ordering[n]) and sender is not None and bool(people.materials[sender])
        load = float(OFFICE_HOURS[hour[n]] / OFFICE_HOURS.max())
        record: Any
        if adapter == "email":
            record = builder.email(int(n), sender, start, orders)
        elif adapter == "calls":
            record = builder.call(int(n), sender, start, load)
        elif adapter == "chats":
            record = builder.chat(int(n), sender, start, load)
        elif adapter in ("faxes", "letters"):
            record = builder.paper(adapter, int(n), sender, start, orders)
        else:
            record = builder.web(adapter, int(n), sender, start)
        run = next(r for r in RUNS if hour[n] < r)
        runs.setdefault((int(day[n]), run), {}).setdefault(adapter, []).append(record)
    return tuple(
        DemoDay(first + timedelta(days=d), tuple(
            (run, _files(first + timedelta(days=d), run, runs[(d, run)]))
            for run in RUNS if (d, run) in runs))
        for d in range(days) if any((d, run) in runs for run in RUNS))


def _files(day: date, run: int, records: Mapping[str, list[Any]]
           ) -> Mapping[str, tuple[RawItem, ...]]:
    """The run's input per adapter: e-mails one by one, a CDR CSV, a JSON file otherwise."""
    files: dict[str, tuple[RawItem, ...]] = {}
    for adapter in ADAPTER_MIX:
        rows = records.get(adapter)
        if not rows:
            continue
        ref = f"demo/{adapter}-{day.isoformat()}-{run:02d}"
        if adapter == "email":
            files[adapter] = tuple(rows)
        elif adapter == "calls":
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            files[adapter] = (RawItem(buffer.getvalue().encode(), ref + ".csv"),)
        else:
            files[adapter] = (RawItem(json.dumps(rows, ensure_ascii=False).encode(),
                                      ref + ".json"),)
    return files


def _constant(value: T) -> Callable[[], T]:
    return lambda: value


def ingest_demo_contacts(engine: sa.Engine, days: Sequence[DemoDay], *,
                         checker: AvailabilityChecker) -> DemoContactsReport:
    """Ingest ``days`` with one :class:`IngestService` per import run: business date the
    contact's day (orders, ATP checks), stored (and replied) at the run's time + 30 min."""
    directory: CustomerDirectory | None = None
    stored: Counter[str] = Counter()
    created = rejected = duplicates = quarantined = 0
    for demo_day in days:
        for run, files in demo_day.runs:
            at = datetime.combine(demo_day.day, time()) + timedelta(hours=run, minutes=30)
            service = IngestService(engine, checker=checker, today=_constant(demo_day.day),
                                    clock=_constant(at), directory=directory)
            directory = service.directory()  # normalised once, shared by every run
            for adapter, items in files.items():
                if adapter == "email":
                    report = service.ingest_items(adapter, items)
                else:
                    (item,) = items
                    report = service.ingest(adapter, item.payload, item.source_ref)
                stored[adapter] += report.stored
                created += report.orders_created
                rejected += report.orders_rejected
                duplicates += report.duplicates
                quarantined += report.quarantined
    return DemoContactsReport(dict(stored), created, rejected, duplicates, quarantined)
