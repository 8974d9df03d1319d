"""Request parameters of the Slicer API (slicer-api.md §1.1, §1.7 to §1.10).

Parameters are read from a Werkzeug ``MultiDict`` so the functions are testable without a
request. ``cut``, ``drilldown``, ``aggregates``, ``measures``, ``order`` and ``fields`` may
repeat; the values are concatenated. Malformed *transport* parameters (``page``, ``pagesize``,
``depth``, ``format``, ``header``) are shape-A ``request`` errors (400); the cut, drilldown and
order grammars raise the flat :class:`~kubus.model.errors.ArgumentError` (400).

Choices where the spec left one:

* ``page``/``pagesize`` must be non-negative integers; pagination needs both (COMPAT: one alone
  is ignored).
* ``format`` and ``header`` are checked even when they would not be used (1.1 does too).
* ``prettyprint`` values other than true/yes/1/on and false/no/0/off mean compact (1.1).
* ``debug`` uses the same truthy words as ``prettyprint``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from kubus.model.cells import Cut
from kubus.model.cut_grammar import (
    DrilldownSpec,
    parse_aggregate_names,
    parse_cell,
    parse_drilldown,
    parse_order,
)
from kubus.model.query import Page
from kubus.server.slicer.errors import NotAuthenticatedError, RequestError

Args = MultiDict[str, str]

TRUE_WORDS = frozenset({"true", "yes", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "0", "off"})

JSON, CSV, JSON_LINES = "json", "csv", "json_lines"
AGGREGATE_FORMATS = (JSON, CSV)
RECORD_FORMATS = (JSON, JSON_LINES, CSV)
HEADER_TYPES = ("labels", "names", "none")


def truthy(value: str | None) -> bool | None:
    """``True``/``False`` for the known words, ``None`` for anything else."""
    if value is None:
        return None
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def prettyprint(args: Args, default: bool) -> bool:
    """``prettyprint`` if given (an unknown word means compact), else the server default."""
    if "prettyprint" not in args:
        return default
    return bool(truthy(args.get("prettyprint")))


def debug(args: Args) -> bool:
    return bool(truthy(args.get("debug")))


def cuts(args: Args, name: str = "cut") -> tuple[Cut, ...]:
    """All cuts of the repeated ``cut`` parameters, in order (ANDed by the caller)."""
    return tuple(cut for value in args.getlist(name) for cut in parse_cell(value))


def drilldown(args: Args) -> tuple[DrilldownSpec, ...]:
    values = args.getlist("drilldown")
    return parse_drilldown(values) if values else ()


def aggregate_names(args: Args) -> tuple[str, ...] | None:
    """``None`` (all aggregates) when absent; ``aggregates=`` alone is a 400."""
    values = args.getlist("aggregates")
    return parse_aggregate_names(values) if values else None


def measure_names(args: Args) -> tuple[str, ...] | None:
    """The documented ``measures`` parameter (defect 3): names split on ``|``, empties dropped."""
    names = tuple(n for value in args.getlist("measures") for n in value.split("|") if n)
    return names or None


def order(args: Args) -> tuple[tuple[str, str], ...]:
    values = [v for v in args.getlist("order") if v]
    return parse_order(values) if values else ()


def fields(args: Args) -> tuple[str, ...] | None:
    names = tuple(n.strip() for value in args.getlist("fields") for n in value.split(",")
                  if n.strip())
    return names or None


def integer(args: Args, name: str) -> int | None:
    """An optional non-negative integer parameter; anything else is a 400 ``request``."""
    text = args.get(name)
    if text is None or text == "":
        return None
    try:
        value = int(text)
    except ValueError:
        raise RequestError(f"{name} should be an integer") from None
    if value < 0:
        raise RequestError(f"{name} should not be negative")
    return value


def page(args: Args) -> Page | None:
    """``page`` and ``pagesize`` (both checked); applied only when both are given."""
    number = integer(args, "page")
    size = integer(args, "pagesize")
    if number is None or size is None:
        return None
    return Page(number, size)


def response_format(args: Args, allowed: Sequence[str]) -> str:
    value = (args.get("format") or JSON).lower()
    if value not in allowed:
        raise RequestError(f"Unknown response format '{args.get('format')}'. Supported: "
                           + ", ".join(allowed))
    return value


def header_type(args: Args) -> str:
    value = (args.get("header") or "labels").lower()
    if value not in HEADER_TYPES:
        raise RequestError(f"Unknown CSV header type '{args.get('header')}'. Supported: "
                           + ", ".join(HEADER_TYPES))
    return value


# Authentication (§5.1) ----------------------------------------------------------------------

@dataclass(frozen=True)
class Authentication:
    """``[server] authentication`` with its ``[authentication]`` options."""

    method: str = "none"
    parameter: str = "api_key"
    realm: str = "Default"

    @property
    def uses_basic(self) -> bool:
        return self.method in ("admin_admin", "http_basic_proxy")


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, _, password = decoded.partition(":")
    return username, password


def identify(auth: Authentication, args: Args, authorization: str | None) -> str | None:
    """The identity of a request, or :class:`NotAuthenticatedError` (401)."""
    if auth.method == "none":
        return None
    if auth.method == "pass_parameter":
        return args.get(auth.parameter)
    credentials = _basic_credentials(authorization)
    if auth.method == "http_basic_proxy":
        # 1.1 crashed with a 500 when the header was missing (defect 25 FIX: 401).
        if credentials is None:
            raise NotAuthenticatedError(None, realm=auth.realm)
        return credentials[0]
    if auth.method == "admin_admin":
        if credentials is None or credentials[0] != credentials[1]:
            raise NotAuthenticatedError(None, realm=auth.realm)
        return credentials[0]
    raise NotAuthenticatedError(f"Unknown authentication method '{auth.method}'",
                                realm=auth.realm)


__all__ = [
    "AGGREGATE_FORMATS", "CSV", "HEADER_TYPES", "JSON", "JSON_LINES", "RECORD_FORMATS",
    "Authentication", "aggregate_names", "cuts", "debug", "drilldown", "fields",
    "header_type", "identify", "integer", "measure_names", "order", "page", "prettyprint",
    "response_format", "truthy",
]
