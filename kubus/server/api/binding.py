"""Serving the declared operations with Flask: parameters, bodies, transactions, responses.

Reads run on one read-only snapshot. A write runs in *one* transaction
(:func:`kubus.oltp.store.transaction`): the idempotency claim, the checks of the objects the
URL names, the service call (which joins the transaction through its ``bind`` argument), the
read of the resource it answers with and the recorded response all commit together, or
nothing does. The body is decoded into the service's frozen input dataclass before the
transaction begins; every problem is reported at once (400 ``invalid_body``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, request

from kubus.oltp.errors import OltpError
from kubus.oltp.store import read_only, transaction
from kubus.server.api import idempotency
from kubus.server.api.encoding import dumps
from kubus.server.api.errors import ApiError, from_oltp, problem_details
from kubus.server.api.operations import (
    Call,
    Created,
    Environment,
    Lookup,
    Operation,
    Param,
    RawBody,
    RawInput,
)
from kubus.server.api.typeschema import INT64, LimitLookup, Problem

__all__ = ["JSON_TYPES", "bind_operations", "flask_rule"]

JSON_MIMETYPE = "application/json"
#: Content types accepted for request bodies (none given is accepted too).
JSON_TYPES = ("application/json",)
_PARAM = re.compile(r"\{(\w+)\}")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER = re.compile(r"^-?\d{1,19}$")


def flask_rule(op: Operation) -> str:
    """``/sales-orders/{order_id}`` as a Flask rule with converters."""
    kinds = {p.name: p.kind for p in op.path_params()}

    def convert(match: re.Match[str]) -> str:
        name = match.group(1)
        if kinds.get(name) is int:
            return f"<int(max={INT64}):{name}>"
        return f"<{name}>"

    return _PARAM.sub(convert, op.path)


# --- parameters and bodies ------------------------------------------------------------------


def _parse_param(param: Param, text: str) -> Any:
    if param.kind is int:
        if not _INTEGER.match(text):
            raise ValueError("expected an integer")
        number = int(text)
        low = param.minimum if param.minimum is not None else -INT64
        high = param.maximum if param.maximum is not None else INT64
        if not low <= number <= high:
            raise ValueError(f"expected an integer from {low} to {high}")
        return number
    if param.kind is date:
        if not _DATE.match(text):
            raise ValueError("expected a date as YYYY-MM-DD")
        return date.fromisoformat(text)
    if param.kind is bool:
        if text not in ("true", "false"):
            raise ValueError("expected true or false")
        return text == "true"
    if param.enum and text not in param.enum:
        raise ValueError(f"expected one of {', '.join(param.enum)}")
    if len(text) > 255:
        raise ValueError("at most 255 characters")
    return text


def parse_query(op: Operation) -> dict[str, Any]:
    """The query parameters of ``op``, with defaults; 400 for unknown or malformed ones."""
    known = {p.name: p for p in op.query_params()}
    problems: list[dict[str, Any]] = []
    values = {p.name: p.default for p in known.values()}
    for name in request.args:
        param = known.get(name)
        given = request.args.getlist(name)
        if param is None:
            problems.append({"parameter": name, "message": "unknown parameter"})
        elif len(given) > 1:
            problems.append({"parameter": name, "message": "given more than once"})
        else:
            try:
                values[name] = _parse_param(param, given[0])
            except ValueError as exc:
                problems.append({"parameter": name, "message": str(exc)})
    if problems:
        raise ApiError(400, "invalid_parameter", "; ".join(
            f"{p['parameter']}: {p['message']}" for p in problems), problems)
    return values


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"member {key!r} appears twice")
        result[key] = value
    return result


def read_json_body() -> Any:
    """The request body as parsed JSON (numbers with a fraction as Decimal); ``{}`` if empty."""
    mimetype = request.mimetype
    if mimetype and mimetype not in JSON_TYPES and not mimetype.endswith("+json"):
        raise ApiError(415, "unsupported_media_type", f"send the body as application/json, "
                       f"not {mimetype}")
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        return json.loads(raw.decode("utf-8"), parse_float=Decimal,
                          parse_constant=_no_constants, object_pairs_hook=_unique_members)
    except UnicodeDecodeError:
        raise ApiError(400, "malformed_json", "the body is not UTF-8 text") from None
    except ValueError as exc:
        raise ApiError(400, "malformed_json", f"the body is not valid JSON: {exc}") from None


def read_raw_body(spec: RawBody) -> RawInput:
    """The request body as bytes, for an operation with a :class:`RawBody`; 415 for another
    media type, 400 for an empty body when one is required."""
    mimetype = request.mimetype or spec.media_types[0]
    if mimetype not in spec.media_types:
        raise ApiError(415, "unsupported_media_type", f"send the body as "
                       f"{' or '.join(spec.media_types)}, not {mimetype}")
    data = request.get_data(cache=True)
    if spec.required and not data.strip():
        raise ApiError(400, "invalid_body", "the body is empty")
    return RawInput(data, mimetype)


# --- running a call -------------------------------------------------------------------------


def _check_lookups(conn: sa.Connection, lookups: Sequence[Lookup], path: dict[str, Any]) -> None:
    for lookup in lookups:
        table = lookup.table
        condition = sa.and_(*(table.c[c] == path[c] for c in lookup.columns))
        if lookup.where is not None:
            condition = sa.and_(condition, lookup.where(table))
        if conn.execute(sa.select(sa.literal(1)).where(condition)).first() is None:
            shown = "/".join(str(path[c]) for c in lookup.columns)
            raise ApiError(404, lookup.code, f"{lookup.what} {shown} does not exist",
                           [{c: path[c] for c in lookup.columns}])


def _json_response(body: str, status: int, location: str | None = None,
                   replayed: bool | None = None) -> Response:
    response = Response(body, status=status, mimetype=JSON_MIMETYPE)
    if location:
        response.headers["Location"] = location
    if replayed is not None:
        response.headers[idempotency.REPLAYED_HEADER] = "true" if replayed else "false"
    return response


class _Views:
    def __init__(self, env: Environment, limits: LimitLookup, prefix: str) -> None:
        self.env = env
        self.limits = limits
        self.prefix = prefix

    def read(self, op: Operation, path: dict[str, Any]) -> Response:
        query = parse_query(op)
        with read_only(self.env.engine) as conn:
            _check_lookups(conn, op.lookups, path)
            result = op.handler(Call(conn, self.env, path, query))
        return _json_response(dumps(result), op.status)

    def write(self, op: Operation, path: dict[str, Any]) -> Response:
        query = parse_query(op)
        body: Any = None
        extras: Any = None
        if op.raw_body is not None:
            body = read_raw_body(op.raw_body)
            # The fingerprint of an Idempotency-Key covers the bytes, not a JSON document.
            raw: Any = {"media_type": body.media_type,
                        "sha256": hashlib.sha256(body.data).hexdigest()}
        else:
            raw = read_json_body()
            if op.body is not None:
                problems: list[Problem] = []
                body, extras = op.body.decode(raw, path, problems, self.limits)
                if problems:
                    raise ApiError(400, "invalid_body", "; ".join(
                        f"{p.pointer or '/'}: {p.message}" for p in problems[:5]),
                        problem_details(problems))
            elif raw != {}:
                raise ApiError(400, "invalid_body", "this operation takes no body")
        key = idempotency.check_key(request.headers.get(idempotency.HEADER))
        request_hash = idempotency.fingerprint(op.method, request.path, raw)
        with transaction(self.env.engine) as conn:
            if key is not None:
                stored = idempotency.claim(conn, key, op.method, request.path, request_hash)
                if stored is not None:
                    return _json_response(stored.body, stored.status, stored.location,
                                          replayed=True)
            _check_lookups(conn, op.lookups, path)
            try:
                result = op.handler(Call(conn, self.env, path, query, body, extras))
            except OltpError as exc:
                raise from_oltp(exc, in_body=True) from None
            location = None
            if isinstance(result, Created):
                location = self.prefix + result.location
                result = result.resource
            text = dumps(result)
            if key is not None:
                idempotency.record(conn, key, op.status, text, location)
            # Built before the commit: a response that cannot be built must not follow a write.
            response = _json_response(text, op.status, location,
                                      replayed=False if key is not None else None)
        return response

    def view(self, op: Operation) -> Callable[..., Response]:
        run = self.write if op.writes else self.read

        def serve(**path: Any) -> Response:
            return run(op, path)

        serve.__name__ = op.operation_id
        return serve


def bind_operations(blueprint: Blueprint, operations: Sequence[Operation], env: Environment,
                    limits: LimitLookup, prefix: str) -> None:
    """Add a route for every operation to ``blueprint`` (mounted at ``prefix``)."""
    views = _Views(env, limits, prefix)
    for op in operations:
        blueprint.add_url_rule(flask_rule(op), endpoint=op.operation_id,
                               view_func=views.view(op), methods=[op.method])
