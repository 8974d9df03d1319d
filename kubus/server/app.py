"""The Flask application factory: ``create_app(workspace, oltp=engine)``.

No globals: the workspace (and the OLTP engine, when the JSON API is served) is passed in,
kept in ``app.extensions`` and closed over by the views. Every error is answered with JSON:
the Slicer API's shapes (slicer-api.md §1.13) everywhere but under ``/api/v1``, where the JSON
API's one shape applies (``docs/api.md``); nothing ever returns HTML but the informational index
page. Example::

    app = create_app(Workspace.from_settings(load_settings("slicer.ini")))
    app.test_client().get("/cube/irbd_balance/aggregate").json["summary"]

    app = create_app(workspace, oltp=open_store("sqlite:///var/oltp.sqlite"))
    app.test_client().get("/api/v1/sales-orders/4711").json["overall_status"]
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from flask import Flask

from kubus.server.slicer import register_error_handlers, slicer_blueprint
from kubus.server.slicer.errors import ErrorResponder
from kubus.server.web import web_blueprint

if TYPE_CHECKING:
    import sqlalchemy as sa

    from kubus.oltp.availability import AvailabilityChecker
    from kubus.server.jobs.runner import JobRunner
    from kubus.server.workspace import Workspace

#: Report bodies and API requests are small; anything larger is refused with 413.
MAX_REQUEST_BYTES = 1024 * 1024


def create_app(workspace: Workspace, *, oltp: sa.Engine | None = None,
               checker: AvailabilityChecker | None = None,
               today: Callable[[], date] | None = None,
               jobs: JobRunner | None = None) -> Flask:
    """The app serving the Slicer API over ``workspace`` and, given an ``oltp`` engine, the
    JSON API over that OLTP database.

    ``checker`` is the availability check order entry calls (default: stock only;
    ``kubus.scheduling`` brings ATP); ``today`` gives the business date writes default to
    (default: today in the workspace time zone); ``jobs`` is the job runner behind
    ``/api/v1/jobs`` (default none: those endpoints answer 404).
    """
    app = Flask("kubus.server")
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.extensions["kubus"] = workspace
    prettyprint = workspace.settings.server.prettyprint
    register_error_handlers(app, prettyprint_default=prettyprint)
    app.register_blueprint(slicer_blueprint(workspace))
    app.register_blueprint(web_blueprint())
    if oltp is not None:
        from kubus.oltp.availability import StockOnlyChecker
        from kubus.server.api import PREFIX, Environment, api_blueprint, install_error_handlers

        env = Environment(oltp, checker or StockOnlyChecker(),
                          today or (lambda: workspace.now().date()), jobs)
        app.extensions["kubus.api"] = env
        app.register_blueprint(api_blueprint(env))
        install_error_handlers(app, PREFIX, ErrorResponder(prettyprint).unexpected)
    return app


__all__ = ["MAX_REQUEST_BYTES", "create_app"]
