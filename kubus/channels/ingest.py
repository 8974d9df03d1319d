"""The shared ingest service: parse, deduplicate, identify, store, quarantine, replay.

:meth:`IngestService.ingest` takes the raw items of one adapter, parses each (a
:class:`~kubus.channels.base.ParseError` quarantines that message with its reason and raw
bytes; the others go on) and stores them in batches of :data:`BATCH` messages, one
transaction per batch: duplicates are found with one query per batch (``UNIQUE (channel,
external_id)`` is the guarantee), senders are identified with one query per batch
(:class:`~kubus.channels.identify.CustomerDirectory`), interactions go in with one
``executemany`` and the change log gets every row in the same transaction. A contact with an
order goes through order entry (:mod:`kubus.channels.orders`) with the availability checker
the caller passes in. :meth:`IngestService.replay` parses a quarantined message again (after
a fix) and stores it in the same way. Example::

    service = IngestService(engine, checker=StockOnlyChecker(), today=date.today)
    report = service.ingest("calls", csv_bytes, source_ref="pbx-2024-03-04.csv")
    report.stored, report.duplicates, report.quarantined
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import sqlalchemy as sa

from kubus.channels import storage
from kubus.channels.base import Adapter, Contact, ParseError, RawItem
from kubus.channels.identify import CustomerDirectory
from kubus.channels.orders import OrderOutcome, enter_order
from kubus.channels.registry import AdapterRegistry, default_registry
from kubus.oltp.availability import AvailabilityChecker
from kubus.oltp.errors import Conflict, NotFound
from kubus.oltp.schema import system_info
from kubus.oltp.schema_interactions import quarantine
from kubus.oltp.store import Bind, read_only, transaction
from kubus.oltp.unit_of_work import UnitOfWork

__all__ = ["BATCH", "IngestReport", "IngestService", "ItemResult"]

#: Messages per transaction: large enough to amortise the per-batch queries, small enough
#: that the single SQLite writer is not held for long.
BATCH = 500
#: Attempts of a batch that collided with a concurrent writer of the same messages.
RETRIES = 3


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class ItemResult:
    """What happened to one message: ``stored``, ``duplicate`` or ``quarantined``."""

    index: int
    source_ref: str
    status: str
    external_id: str | None = None
    interaction_id: int | None = None
    identification: str | None = None
    customer_id: str | None = None
    order_id: int | None = None
    reply_id: int | None = None
    quarantine_id: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class IngestReport:
    """The result of one ingest call, with one :class:`ItemResult` per message in order."""

    adapter: str
    channel: str
    received: int
    stored: int
    duplicates: int
    quarantined: int
    orders_created: int
    orders_rejected: int
    items: tuple[ItemResult, ...]


def _report(adapter: Adapter, results: Sequence[ItemResult]) -> IngestReport:
    def count(status: str) -> int:
        return sum(1 for r in results if r.status == status)

    return IngestReport(
        adapter.name, adapter.channel, len(results), count("stored"), count("duplicate"),
        count("quarantined"), sum(1 for r in results if r.order_id is not None),
        sum(1 for r in results if r.reply_id is not None and r.order_id is None),
        tuple(results))


class IngestService:
    """Ingest and replay for one OLTP database; wire one per process and share it."""

    def __init__(self, engine: sa.Engine, *, checker: AvailabilityChecker,
                 today: Callable[[], date], registry: AdapterRegistry | None = None,
                 default_region: str | None = None, directory: CustomerDirectory | None = None,
                 clock: Callable[[], datetime] = _utcnow) -> None:
        self.engine = engine
        self.checker = checker
        self.today = today
        self.registry = registry or default_registry()
        self.clock = clock
        self._region = default_region
        self._directory = directory

    def directory(self) -> CustomerDirectory:
        """The customer directory; the default region is the source system's country."""
        if self._directory is None:
            region = self._region
            if region is None:
                with read_only(self.engine) as conn:  # once per service
                    region = conn.execute(sa.select(system_info.c.country)).scalar()
            self._directory = CustomerDirectory(region or "DE")
        return self._directory

    # --- ingest ---------------------------------------------------------------------------

    def ingest(self, adapter_name: str, data: bytes, source_ref: str = "",
               bind: Bind | None = None) -> IngestReport:
        """Split ``data`` with the adapter (:class:`~kubus.channels.base.BatchError` if it
        cannot be split: nothing is stored) and ingest every message.

        ``bind``: a connection inside a transaction to ingest in (the JSON API's request
        transaction); default: the service's engine, one transaction per batch.
        """
        adapter = self.registry.get(adapter_name)
        return self.ingest_items(adapter_name, adapter.split(data, source_ref), bind=bind)

    def ingest_items(self, adapter_name: str, items: Sequence[RawItem],
                     progress: Callable[[int], None] | None = None,
                     bind: Bind | None = None) -> IngestReport:
        """Ingest already split messages (a mail folder, files of a polled folder)."""
        adapter = self.registry.get(adapter_name)
        results: list[ItemResult] = []
        for start in range(0, len(items), BATCH):
            chunk = items[start:start + BATCH]
            parsed = [_parse(adapter, item) for item in chunk]
            results.extend(replace(r, index=r.index + start)
                           for r in self._store(adapter, chunk, parsed, bind))
            if progress is not None:
                progress(len(chunk))
        return _report(adapter, results)

    def _store(self, adapter: Adapter, items: Sequence[RawItem],
               parsed: Sequence[Contact | ParseError], bind: Bind | None) -> list[ItemResult]:
        if bind is not None:
            try:
                return self._store_once(adapter, items, parsed, bind)
            except sa.exc.IntegrityError:
                # In the caller's transaction we cannot run again: the caller retries.
                raise Conflict("concurrent_ingest", "another request stored one of these "
                               "messages at the same moment; send the request again (the "
                               "messages stored meanwhile are reported as duplicates)"
                               ) from None
        for attempt in range(RETRIES):
            try:
                return self._store_once(adapter, items, parsed, self.engine)
            except sa.exc.IntegrityError:
                # A concurrent writer (PostgreSQL) stored one of these external ids (or
                # prospects) between our duplicate check and our insert: the batch rolled
                # back; run it again and the check sees those messages as duplicates.
                if attempt == RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def _store_once(self, adapter: Adapter, items: Sequence[RawItem],
                    parsed: Sequence[Contact | ParseError], bind: Bind) -> list[ItemResult]:
        now = self.clock()
        with transaction(bind) as conn:
            unit = UnitOfWork(conn)
            results = self._store_in(unit, adapter, items, parsed, now)
            unit.finish()
        return results

    def _store_in(self, unit: UnitOfWork, adapter: Adapter, items: Sequence[RawItem],
                  parsed: Sequence[Contact | ParseError], now: datetime) -> list[ItemResult]:
        conn = unit.conn
        results: list[ItemResult | None] = [None] * len(items)
        contacts = [(n, p) for n, p in enumerate(parsed) if isinstance(p, Contact)]
        bad = [(n, p) for n, p in enumerate(parsed) if isinstance(p, ParseError)]
        if bad:
            ids = storage.quarantine_rows(unit, adapter, [(items[n], e) for n, e in bad], now)
            for (n, error), qid in zip(bad, ids, strict=True):
                results[n] = ItemResult(n, items[n].source_ref, "quarantined",
                                        error.external_id, quarantine_id=qid,
                                        reason=error.reason)
        seen = storage.existing_ids(conn, adapter.channel, [c.external_id for _, c in contacts])
        fresh: list[tuple[int, Contact]] = []
        for n, contact in contacts:
            if contact.external_id in seen:
                results[n] = ItemResult(n, items[n].source_ref, "duplicate",
                                        contact.external_id, seen[contact.external_id])
                continue
            seen[contact.external_id] = -1  # a repeat later in this batch is a duplicate too
            fresh.append((n, contact))
        if fresh:
            identities = self.directory().identify_batch(conn, [c for _, c in fresh])
            stored = storage.store_contacts(unit, [c for _, c in fresh], identities,
                                            [items[n].source_ref for n, _ in fresh], now)
            for (n, contact), identity, interaction_id in zip(
                    fresh, identities, stored, strict=True):
                outcome = OrderOutcome(None, None)
                if contact.order is not None:
                    outcome = enter_order(unit, contact, identity, interaction_id,
                                          checker=self.checker, today=self.today(), now=now)
                results[n] = ItemResult(
                    n, items[n].source_ref, "stored", contact.external_id, interaction_id,
                    identity.status, identity.customer_id, outcome.order_id, outcome.reply_id,
                    reason=outcome.reason)
            by_external = {c.external_id: i for (_, c), i in zip(fresh, stored, strict=True)}
            for n, result in enumerate(results):
                if result is not None and result.interaction_id == -1:
                    results[n] = replace(result,
                                         interaction_id=by_external.get(result.external_id or ""))
        return [r for r in results if r is not None]

    # --- quarantine -------------------------------------------------------------------------

    def replay(self, quarantine_id: int, payload: bytes | None = None,
               bind: Bind | None = None) -> ItemResult:
        """Parse a quarantined message again (optionally a corrected ``payload``) and store it.

        Still malformed: the entry stays open with the new reason and one more attempt.
        Stored (or found to be a duplicate meanwhile): the entry is marked ``replayed`` and
        points at the interaction, in the same transaction.
        """
        now = self.clock()
        with transaction(bind if bind is not None else self.engine) as conn:
            row = conn.execute(sa.select(quarantine).where(
                quarantine.c.quarantine_id == quarantine_id)).first()
            if row is None:
                raise NotFound("unknown_quarantine_item",
                               f"quarantine item {quarantine_id} does not exist",
                               quarantine_id=quarantine_id)
            if row.status != "open":
                raise Conflict("already_replayed", f"quarantine item {quarantine_id} was "
                               f"replayed already (interaction {row.interaction_id})",
                               quarantine_id=quarantine_id)
            adapter = self.registry.get(row.adapter)
            item = RawItem(payload if payload is not None else row.payload, row.source_ref)
            parsed = _parse(adapter, item)
            unit = UnitOfWork(conn)
            if isinstance(parsed, ParseError):
                storage.quarantine_retry(unit, quarantine_id, parsed, payload)
                unit.finish()
                return ItemResult(0, row.source_ref, "quarantined", parsed.external_id,
                                  quarantine_id=quarantine_id, reason=parsed.reason)
            (result,) = self._store_in(unit, adapter, [item], [parsed], now)
            storage.quarantine_done(unit, quarantine_id, result.interaction_id, payload, now)
            unit.finish()
        return replace(result, quarantine_id=quarantine_id)


def _parse(adapter: Adapter, item: RawItem) -> Contact | ParseError:
    try:
        return adapter.parse(item)
    except ParseError as error:
        return error
    except Exception as exc:  # an adapter bug must not lose the message
        return ParseError(f"adapter {adapter.name} failed: {type(exc).__name__}: {exc}")
