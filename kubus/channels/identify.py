"""Customer identification across channels (domain.md §6.4).

A contact is matched on every key it carries: an explicit account (web login, a customer
number on a fax or letter index) first; otherwise its phone number in E.164 (``phonenumbers``;
the sender's number read with the default region, each customer's with the customer's
country), its e-mail address (trimmed, case-insensitive) and customer numbers named in the
subject or text (``customer no. C1``, ``Kundennummer 1000123``; only numbers that exist
count). Exactly one customer -> ``identified``; several -> ``ambiguous`` with every candidate
kept for review, never guessed; none -> a ``prospect`` (found again by the same address or
number next time).

:class:`CustomerDirectory` holds the customers' normalised keys in memory and keeps them
current from the change log (only customers changed since its last look are read again), so
identifying a batch costs one small query, not one per message. Example::

    directory = CustomerDirectory(default_region="DE")
    directory.refresh(conn)
    directory.identify(Contact(channel="phone", phone="030 1234567", ...))
    # Identity(status="identified", customer_id="C1", candidates=(("C1", "phone"),), ...)
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import sqlalchemy as sa

from kubus.channels.base import Contact
from kubus.oltp.contacts import MIN_NATIONAL_DIGITS, normalise_email, normalise_phone
from kubus.oltp.schema import change_log, change_log_counter, customer

__all__ = ["CUSTOMER_NUMBER", "MIN_NATIONAL_DIGITS", "CustomerDirectory", "Identity",
           "normalise_email", "normalise_phone"]

#: A customer number after a keyword ("customer no.", "cust #", "account", "Kundennummer");
#: the number is then checked against the customer table.
CUSTOMER_NUMBER = re.compile(
    r"\b(?:customer|cust|client|account|acct|kunden|kunde)[\s.-]*"
    r"(?:number|nummer|num|no|nr|id)?[\s.:#-]*"
    # The number has a digit, so "customer service" is not read as customer "service".
    r"(?P<number>(?=[A-Z-]*\d)[A-Z0-9][A-Z0-9-]{0,9})\b",
    re.IGNORECASE)


@dataclass(frozen=True)
class Identity:
    """Who a contact is: ``status`` identified/ambiguous/prospect, the customer when
    identified, every candidate with what it matched on, and the sender's normalised keys."""

    status: str
    customer_id: str | None
    candidates: tuple[tuple[str, str], ...]
    email: str | None
    phone: str | None

    @property
    def sender_key(self) -> str:
        return self.email or self.phone or ""


class CustomerDirectory:
    """Normalised customer keys in memory, refreshed incrementally from the change log."""

    def __init__(self, default_region: str = "DE") -> None:
        self.default_region = default_region
        self._seq = -1
        self._keys: dict[str, tuple[str | None, str | None]] = {}
        self._by_email: dict[str, set[str]] = {}
        self._by_phone: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def identify_batch(self, conn: sa.Connection,
                       contacts: list[Contact]) -> list[Identity]:
        """Refresh, then identify every contact of a batch (one query for the whole batch)."""
        with self._lock:
            self._refresh(conn)
            return [self.identify(c) for c in contacts]

    def refresh(self, conn: sa.Connection) -> None:
        """Read the customers changed since the last refresh (all of them the first time)."""
        with self._lock:
            self._refresh(conn)

    def _refresh(self, conn: sa.Connection) -> None:
        seq = int(conn.execute(sa.select(change_log_counter.c.last_seq)).scalar() or 0)
        if seq == self._seq:
            return
        query = sa.select(customer.c.customer_id, customer.c.country, customer.c.email,
                          customer.c.phone)
        if self._seq >= 0:
            changed = (sa.select(change_log.c.key)
                       .where(change_log.c.seq > self._seq, change_log.c.seq <= seq,
                              change_log.c.entity == "customer"))
            query = query.where(customer.c.customer_id.in_(changed))
        for row in conn.execute(query):
            self._put(row.customer_id, normalise_email(row.email),
                      normalise_phone(row.phone, row.country or self.default_region))
        self._seq = seq

    def _put(self, customer_id: str, email: str | None, phone: str | None) -> None:
        old_email, old_phone = self._keys.get(customer_id, (None, None))
        for index, old in ((self._by_email, old_email), (self._by_phone, old_phone)):
            if old is not None:
                index.get(old, set()).discard(customer_id)
        self._keys[customer_id] = (email, phone)
        if email:
            self._by_email.setdefault(email, set()).add(customer_id)
        if phone:
            self._by_phone.setdefault(phone, set()).add(customer_id)

    def exists(self, customer_id: str) -> bool:
        return customer_id in self._keys

    def identify(self, contact: Contact) -> Identity:
        """Who ``contact`` is, from the keys it carries (see the module docstring)."""
        email = normalise_email(contact.email)
        phone = normalise_phone(contact.phone, self.default_region)
        if contact.customer_id and self.exists(contact.customer_id):
            return Identity("identified", contact.customer_id,
                            ((contact.customer_id, "login"),), email, phone)
        found: dict[str, str] = {}
        for customer_id in sorted(self._by_phone.get(phone, ())) if phone else ():
            found.setdefault(customer_id, "phone")
        for customer_id in sorted(self._by_email.get(email, ())) if email else ():
            found.setdefault(customer_id, "email")
        for number in self._numbers(f"{contact.subject}\n{contact.text}"):
            found.setdefault(number, "number")
        candidates = tuple(sorted(found.items()))
        if len(candidates) == 1:
            return Identity("identified", candidates[0][0], candidates, email, phone)
        if candidates:
            return Identity("ambiguous", None, candidates, email, phone)
        return Identity("prospect", None, (), email, phone)

    def _numbers(self, text: str) -> list[str]:
        numbers = []
        for match in CUSTOMER_NUMBER.finditer(text):
            token = match.group("number")
            for candidate in (token, token.upper()):
                if self.exists(candidate):
                    numbers.append(candidate)
                    break
        return numbers
