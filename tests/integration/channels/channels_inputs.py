"""Inputs and helpers of the channel suite; the fixtures are in :mod:`channels_support`.

Contact data for identification on top of the worked examples' master data:
C1 (``orders@acme.example``, ``030 1234567``), C2 and C3 sharing one phone number (so a call
from it is ambiguous), C2 with ``info@beta.example``. Builders make realistic inputs.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, replace
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

_HERE = Path(__file__).resolve().parent
for _folder in ("oltp", "api"):
    if str(_HERE.parent / _folder) not in sys.path:
        sys.path.insert(0, str(_HERE.parent / _folder))

import oltp_data  # noqa: E402

from kubus.channels.ingest import IngestService  # noqa: E402
from kubus.oltp import masterdata as md  # noqa: E402

if TYPE_CHECKING:
    from oltp_support import Oltp

TODAY = date(2024, 3, 4)
C1_EMAIL = "Orders@Acme.example"
C1_PHONE = "030 1234567"          # +49301234567 in E.164 (customer country DE)
SHARED_PHONE = "+49 40 5550100"   # C2 and C3: ambiguous
C2_EMAIL = "info@beta.example"


@dataclass(frozen=True)
class Ic:
    """The database and an ingest service over it."""

    oltp: Oltp
    service: IngestService

    @property
    def engine(self) -> sa.Engine:
        return self.oltp.engine

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql), params)]

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()


def load_master_data(engine: sa.Engine) -> None:
    """The worked examples' master data and stock, plus the contact data below."""
    oltp_data.load_worked_example_master_data(engine)
    contact_master_data(engine)


def contact_master_data(engine: sa.Engine) -> None:
    """Give C1/C2 e-mail and phone, and add C3 with C2's phone number."""
    customers = {r.customer_id: r for r in oltp_data.master_records()
                 if isinstance(r, md.Customer)}
    md.update(engine, [replace(customers["C1"], email=C1_EMAIL, phone=C1_PHONE),
                       replace(customers["C2"], email=C2_EMAIL, phone=SHARED_PHONE)])
    md.create(engine, [md.Customer("C3", "Gamma KG", "DE", city="Hamburg",
                                   phone=SHARED_PHONE.replace("+49 ", "0"))])


# --- builders -------------------------------------------------------------------------------


def email(message_id: str, *, sender: str = f"Jörg Müller <{C1_EMAIL.lower()}>",
          subject: str = "Anfrage zur Lieferung \u2013 Größe XL", body: str = "Guten Tag,\n",
          date_header: str = "Mon, 04 Mar 2024 09:15:00 +0100", in_reply_to: str | None = None,
          references: tuple[str, ...] = (), attachments: tuple[tuple[str, bytes], ...] = (),
          html: bool = False) -> bytes:
    """A realistic RFC 5322 message (non-ASCII names, MIME multipart when attachments)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "Vertrieb <sales@kubus.example>"
    message["Subject"] = subject
    message["Date"] = date_header
    message["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        message["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        message["References"] = " ".join(f"<{r}>" for r in references)
    message.set_content(body)
    if html:
        message.add_alternative(f"<html><body><p>{body}</p></body></html>", subtype="html")
    for filename, content in attachments:
        message.add_attachment(content, maintype="application", subtype="pdf",
                               filename=filename)
    return bytes(message)


CALL_HEADER = "call_id,caller,called,queue,agent,start,answer,end,outcome"


def call_row(call_id: str, caller: str, start: str, answer: str, end: str,
             outcome: str = "", queue: str = "sales", agent: str = "") -> str:
    return f"{call_id},{caller},+49 40 999000,{queue},{agent},{start},{answer},{end},{outcome}"


def calls_csv(*rows: str) -> bytes:
    return ("\n".join((CALL_HEADER, *rows)) + "\n").encode()


def as_json(*records: dict[str, Any]) -> bytes:
    return json.dumps(list(records), ensure_ascii=False).encode()
