"""Declarations of the JSON API's operations: one :class:`Operation` per method and path.

The Flask routes (:mod:`.binding`) and the OpenAPI document (:mod:`.openapi`) are both built
from these declarations, so what is documented is what is served. An operation names its path
and query parameters, its request :class:`Body` (a service's frozen input dataclass, plus API
fields such as the posting date), the objects its URL names (:class:`Lookup`, a 404 when
missing) and the dataclass of its response. Example::

    Operation("GET", "/sales-orders/{order_id}", "getSalesOrder", "A sales order",
              "Sales orders", read_order, SalesOrder,
              params=(Param("order_id", int, "Sales order number", where="path"),),
              lookups=(Lookup(sales_order, ("order_id",), "unknown_order", "sales order"),))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import quote

import sqlalchemy as sa

from kubus.server.api.decoding import decode_fields
from kubus.server.api.typeschema import LimitLookup, Problem

if TYPE_CHECKING:
    from kubus.oltp.availability import AvailabilityChecker
    from kubus.server.jobs.runner import JobRunner

__all__ = ["Body", "Call", "Created", "Environment", "Lookup", "Operation", "Page", "Param",
           "RawBody", "RawInput", "url"]

T = TypeVar("T")


@dataclass(frozen=True)
class Param:
    """A path or query parameter: ``kind`` is ``str``, ``int``, ``date`` or ``bool``."""

    name: str
    kind: type
    description: str
    where: str = "query"
    enum: tuple[str, ...] = ()
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Lookup:
    """An object the URL names: the row of ``table`` whose ``columns`` equal the path
    parameters of the same names must exist, else 404 ``code``."""

    table: sa.Table
    columns: tuple[str, ...]
    code: str
    what: str
    #: Extra condition, e.g. only goods receipts among the material documents.
    where: Callable[[sa.Table], sa.ColumnElement[bool]] | None = None


@dataclass(frozen=True)
class Body:
    """A request body: the fields of ``input`` (a service's input dataclass) that are not
    bound from the URL (``from_path``), plus the fields of ``extras`` (API-only, e.g. the
    posting date). Both are decoded strictly; unknown members are refused."""

    input: type
    extras: type | None = None
    from_path: tuple[str, ...] = ()
    description: str = ""

    def decode(self, raw: Any, path: Mapping[str, Any], problems: list[Problem],
               limits: LimitLookup) -> tuple[Any, Any]:
        """``(input, extras)`` instances, or ``(None, None)`` with ``problems`` appended."""
        input_names = {f.name for f in dataclasses.fields(self.input)}
        extra_names = ({f.name for f in dataclasses.fields(self.extras)}
                       if self.extras is not None else set())
        omit = frozenset(self.from_path)
        before = len(problems)
        values = decode_fields(self.input, raw, problems, limits=limits, omit=omit,
                               known=frozenset(extra_names))
        extras: dict[str, Any] = {}
        if self.extras is not None and isinstance(raw, dict):
            extras = decode_fields(self.extras, raw, problems, limits=limits,
                                   known=frozenset(input_names - omit))
        if len(problems) > before:
            return None, None
        values.update({name: path[name] for name in self.from_path})
        return (self.input(**values),
                self.extras(**extras) if self.extras is not None else None)


@dataclass(frozen=True)
class RawBody:
    """A request body passed to the handler as bytes (:class:`RawInput`), not decoded as JSON:
    an e-mail (``message/rfc822``), a CSV file, a JSON batch the handler splits itself.
    ``media_types`` are the accepted ``Content-Type`` s (the first is the default when none
    is given); ``required``: an empty body is a 400."""

    media_types: tuple[str, ...]
    description: str = ""
    required: bool = True


@dataclass(frozen=True)
class RawInput:
    """A raw request body as the handler gets it in :attr:`Call.body`."""

    data: bytes
    media_type: str


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; ``next_cursor`` fetches the next one (``None``: this was the last)."""

    items: tuple[T, ...]
    next_cursor: str | None


def url(*segments: object) -> str:
    """A path below the API root from segments, each percent-encoded: ``/customers/C%201``."""
    return "".join("/" + quote(str(s), safe="") for s in segments)


@dataclass(frozen=True)
class Created(Generic[T]):
    """A write's result: the resource and its URL (relative to the API root)."""

    resource: T
    location: str


@dataclass(frozen=True)
class Environment:
    """What the views need besides the request: the OLTP engine, the availability checker
    order entry calls, the business date used when a body gives none and the job runner
    (``None``: the ``/jobs`` endpoints answer 404 ``jobs_unavailable``)."""

    engine: sa.Engine
    checker: AvailabilityChecker
    today: Callable[[], date]
    jobs: JobRunner | None = None


@dataclass
class Call:
    """One request as a view sees it: a connection (inside the request's transaction for
    writes, a read-only snapshot for reads), parameters and the decoded body."""

    conn: sa.Connection
    env: Environment
    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    extras: Any = None

    def date_or_today(self, name: str) -> date:
        """The date ``name`` of the body's API fields, or today's business date."""
        given = getattr(self.extras, name, None) if self.extras is not None else None
        return given if isinstance(given, date) else self.env.today()


@dataclass(frozen=True)
class Operation:
    """One method on one path, with everything needed to serve and to document it."""

    method: str
    path: str
    operation_id: str
    summary: str
    tag: str
    handler: Callable[[Call], Any]
    response: type
    params: tuple[Param, ...] = ()
    body: Body | None = None
    lookups: tuple[Lookup, ...] = ()
    status: int = 200
    paged: bool = False
    description: str = ""
    #: Extra error statuses a write may answer (400, 409 and 422 are always possible).
    errors: tuple[int, ...] = ()
    #: A body the handler reads as bytes (instead of ``body``).
    raw_body: RawBody | None = None

    @property
    def writes(self) -> bool:
        return self.method != "GET"

    def path_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.where == "path")

    def query_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.where == "query")
