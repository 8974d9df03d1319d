"""The Flask application factory: ``create_app(workspace)``.

No globals: the workspace is passed in, kept in ``app.extensions["kubus"]`` and closed over by
the views. Every error is answered with JSON (slicer-api.md §1.13); nothing ever returns HTML
but the informational index page. Example::

    app = create_app(Workspace.from_settings(load_settings("slicer.ini")))
    app.test_client().get("/cube/irbd_balance/aggregate").json["summary"]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask

from kubus.server.slicer import register_error_handlers, slicer_blueprint

if TYPE_CHECKING:
    from kubus.server.workspace import Workspace

#: Report bodies are small query descriptions; anything larger is refused with 413.
MAX_REQUEST_BYTES = 1024 * 1024


def create_app(workspace: Workspace) -> Flask:
    app = Flask("kubus.server")
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.extensions["kubus"] = workspace
    register_error_handlers(app, prettyprint_default=workspace.settings.server.prettyprint)
    app.register_blueprint(slicer_blueprint(workspace))
    return app


__all__ = ["create_app"]
