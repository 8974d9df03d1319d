"""The JSON API of the transactional core, under ``/api/v1`` (``docs/api.md``).

One Flask blueprint over an OLTP engine (:class:`~.operations.Environment`): customers,
materials, stock, sales orders, deliveries and goods issue, billing, payments and open items,
purchase requisitions and orders, goods and invoice receipts, document flow and the change
log, with an OpenAPI 3.1 document at ``/api/v1/openapi.json``.

* :mod:`.operations`: the declarations (path, parameters, body, response) every route and
  the OpenAPI document are built from; one module per resource declares its operations
  (:mod:`.customers`, :mod:`.materials`, :mod:`.sales_orders`, :mod:`.deliveries`,
  :mod:`.billing`, :mod:`.payments`, :mod:`.purchasing`, :mod:`.receipts`,
  :mod:`.documents`, :mod:`.flow`), :mod:`.registry` collects them.
* :mod:`.typeschema`: dataclasses as JSON Schema; :mod:`.decoding`: strict decoding of bodies
  into the services' frozen input dataclasses by the same annotations; :mod:`.limits`: column
  limits from the OLTP tables; :mod:`.encoding`: responses as JSON.
* :mod:`.binding`: Flask views, transactions; :mod:`.idempotency`: ``Idempotency-Key``.
* :mod:`.errors`: the one error shape; :mod:`.paging`: ``limit``/``cursor`` keyset pages.
* :mod:`.openapi`: the document.
"""

from kubus.server.api.errors import install_error_handlers
from kubus.server.api.operations import Environment
from kubus.server.api.registry import PREFIX, api_blueprint

__all__ = ["PREFIX", "Environment", "api_blueprint", "install_error_handlers"]
