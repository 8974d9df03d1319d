"""Every operation of the JSON API, the blueprint serving them and the OpenAPI document."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from flask import Blueprint, Response

from kubus.server.api import (
    atp,
    billing,
    channels,
    customers,
    deliveries,
    documents,
    flow,
    jobs,
    materials,
    payments,
    purchasing,
    receipts,
    sales_orders,
)
from kubus.server.api.binding import bind_operations
from kubus.server.api.errors import handle
from kubus.server.api.limits import oltp_limits
from kubus.server.api.openapi import openapi_document
from kubus.server.api.operations import Environment, Operation

__all__ = ["OPERATIONS", "PREFIX", "api_blueprint", "document"]

PREFIX = "/api/v1"

OPERATIONS: tuple[Operation, ...] = (
    *customers.OPERATIONS, *materials.OPERATIONS, *sales_orders.OPERATIONS,
    *deliveries.OPERATIONS, *billing.OPERATIONS, *payments.OPERATIONS,
    *purchasing.OPERATIONS, *receipts.OPERATIONS, *documents.OPERATIONS, *flow.OPERATIONS,
    *atp.OPERATIONS,
    *jobs.OPERATIONS,
    *channels.OPERATIONS,
)


@cache
def document() -> dict[str, Any]:
    """The OpenAPI document (built once; it depends on the code only)."""
    return openapi_document(OPERATIONS, oltp_limits, PREFIX)


def api_blueprint(env: Environment) -> Blueprint:
    """The JSON API over ``env``'s OLTP database, to mount at :data:`PREFIX`."""
    blueprint = Blueprint("kubus_api", __name__, url_prefix=PREFIX)
    bind_operations(blueprint, OPERATIONS, env, oltp_limits, PREFIX)
    text = json.dumps(document())

    def openapi() -> Response:
        return Response(text, mimetype="application/json")

    blueprint.add_url_rule("/openapi.json", endpoint="openapi", view_func=openapi,
                           methods=["GET"])
    blueprint.register_error_handler(Exception, handle)
    return blueprint
