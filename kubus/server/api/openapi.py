"""The OpenAPI 3.1 document of the JSON API, built from the operation declarations.

The views are bound from the same :class:`~kubus.server.api.operations.Operation` objects and
bodies are decoded from the same dataclasses the schemas are generated from, so the document
describes exactly what is served (a test checks both ways and validates the document).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from kubus import __version__
from kubus.server.api.errors import ERROR_SCHEMA, STATUS_TEXT
from kubus.server.api.idempotency import HEADER, MAX_KEY_LENGTH, REPLAYED_HEADER
from kubus.server.api.operations import Body, Operation, Param
from kubus.server.api.typeschema import SCHEMA_REF, LimitLookup, Schemas

__all__ = ["DESCRIPTION", "openapi_document"]

DESCRIPTION = """\
The transactional core of Kubus (order-to-cash and procure-to-pay, modelled on SAP R/3 SD/MM/FI)
over JSON. See docs/api.md for a worked example as a curl session.

* **Money and quantities are decimal strings** (`"892.50"`, `"60.000"`) in responses, so no
  client parses a binary float; requests may send strings or JSON numbers (read as decimals).
* **Dates** are ISO strings (`"2024-03-04"`). Writes take an optional business date
  (`order_date`, `posting_date`, `billing_date`, `payment_date`, ...); default: today in the
  workspace time zone.
* **Errors** have one shape: `{"error": {"status", "code", "message", "details"}}`. 400 malformed
  JSON, schema violations and malformed values; 404 the object the URL names does not exist;
  409 the state of the documents forbids it now; 422 a business rule refuses it or the body
  refers to an unknown object. A refused request changes nothing.
* **Idempotency**: send `Idempotency-Key` with any write; a retry with the same key and request
  returns the first response (`Idempotent-Replayed: true`) and never writes twice; the same key
  with another request is a 409.
* **Lists** are paged by `limit` and `cursor` (the previous page's `next_cursor`).
"""


def _param(param: Param) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": {int: "integer", bool: "boolean"}.get(param.kind,
                                                                            "string")}
    if param.kind is date:
        schema["format"] = "date"
    if param.enum:
        schema["enum"] = list(param.enum)
    if param.minimum is not None:
        schema["minimum"] = param.minimum
    if param.maximum is not None:
        schema["maximum"] = param.maximum
    if param.default is not None:
        schema["default"] = param.default
    return {"name": param.name, "in": param.where, "required": param.where == "path",
            "description": param.description, "schema": schema}


def _body_schema(body: Body, schemas: Schemas) -> dict[str, Any]:
    schema = schemas.object_schema(body.input, output=False, omit=frozenset(body.from_path))
    if body.extras is not None:
        extra = schemas.object_schema(body.extras, output=False)
        schema["properties"].update(extra["properties"])
        if extra.get("required"):
            schema["required"] = [*schema.get("required", []), *extra["required"]]
    if body.description:
        schema["description"] = body.description
    return schema


def _success(op: Operation, schemas: Schemas) -> dict[str, Any]:
    item = schemas.of(op.response, output=True)
    schema = item if not op.paged else {
        "type": "object", "required": ["items", "next_cursor"], "additionalProperties": False,
        "properties": {"items": {"type": "array", "items": item},
                       "next_cursor": {"type": ["string", "null"],
                                       "description": "Pass as `cursor` for the next page; "
                                                      "null on the last page."}}}
    response: dict[str, Any] = {
        "description": {200: "OK", 201: "Created"}.get(op.status, "OK"),
        "content": {"application/json": {"schema": schema}}}
    headers: dict[str, Any] = {}
    if op.status == 201:
        headers["Location"] = {"description": "URL of the created document (when it has "
                                              "one).", "schema": {"type": "string"}}
    if op.writes:
        headers[REPLAYED_HEADER] = {"description": f"With an {HEADER}: true if this is the "
                                                   "stored response of an earlier request.",
                                    "schema": {"type": "string", "enum": ["true", "false"]}}
    if headers:
        response["headers"] = headers
    return response


def _errors(op: Operation) -> list[int]:
    statuses = {400, 500, *op.errors}
    if op.path_params():
        statuses.add(404)
    if op.writes:
        statuses |= {409, 413, 415, 422}
    return sorted(statuses)


def _operation(op: Operation, schemas: Schemas) -> dict[str, Any]:
    document: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary,
                                "tags": [op.tag]}
    if op.description:
        document["description"] = op.description
    parameters = [_param(p) for p in op.params]
    if op.writes:
        parameters.append({"$ref": "#/components/parameters/IdempotencyKey"})
    if parameters:
        document["parameters"] = parameters
    if op.raw_body is not None:
        document["requestBody"] = {
            "required": op.raw_body.required, "description": op.raw_body.description,
            "content": {t: {"schema": {"type": "string"}} for t in op.raw_body.media_types}}
    elif op.body is not None:
        document["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": _body_schema(op.body, schemas)}}}
    responses = {str(op.status): _success(op, schemas)}
    for status in _errors(op):
        responses[str(status)] = {"$ref": f"#/components/responses/Error{status}"}
    document["responses"] = responses
    return document


def openapi_document(operations: Sequence[Operation], limits: LimitLookup,
                     prefix: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``operations`` served under ``prefix``."""
    schemas = Schemas(limits)
    paths: dict[str, dict[str, Any]] = {}
    tags: list[str] = []
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, schemas)
        if op.tag not in tags:
            tags.append(op.tag)
    paths["/openapi.json"] = {"get": {
        "operationId": "getOpenApiDocument", "summary": "This OpenAPI document",
        "tags": ["API"], "responses": {"200": {
            "description": "OK", "content": {"application/json": {"schema": {
                "type": "object"}}}}}}}
    error_ref = {"$ref": SCHEMA_REF + "Error"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Kubus JSON API", "version": __version__, "description": DESCRIPTION},
        "servers": [{"url": prefix}],
        "tags": [{"name": t} for t in [*tags, "API"]],
        "paths": paths,
        "components": {
            "schemas": {**dict(sorted(schemas.components.items())), "Error": ERROR_SCHEMA},
            "responses": {f"Error{status}": {
                "description": text, "content": {"application/json": {"schema": error_ref}}}
                for status, text in STATUS_TEXT.items()},
            "parameters": {"IdempotencyKey": {
                "name": HEADER, "in": "header", "required": False,
                "description": "Makes a write safe to retry: the same key and request return "
                               "the first response and never write twice; the same key with "
                               "another request is a 409. A UUID is a good key.",
                "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH}}},
        },
    }
