"""The Slicer HTTP API (slicer-api.md §1): one Flask blueprint over a :class:`Workspace`.

The blueprint is built by :func:`slicer_blueprint` around an explicit workspace (no module-level
state). Views parse parameters (:mod:`.params`), build frozen queries
(:mod:`kubus.model.query`), run them through a per-request browser and shape the response
(:mod:`.responses`). Errors are raised, never formatted here: :mod:`.errors` maps them by class.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from flask import Blueprint, Response, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from kubus import __version__
from kubus.model.errors import NoSuchCubeError
from kubus.model.metadata import Cube
from kubus.model.query import prepare_aggregate, prepare_facts, prepare_members
from kubus.model.serialize import cube_list_item, cube_to_dict
from kubus.server.slicer import params
from kubus.server.slicer.errors import (
    NotAuthorizedError,
    NotFoundError,
    PageNotFoundError,
    RequestError,
    json_error,
)
from kubus.server.slicer.report import run_report
from kubus.server.slicer.responses import Responder, server_timing

if TYPE_CHECKING:
    from kubus.server.browser import Browser
    from kubus.server.workspace import Workspace

API_VERSION = 2
TIMINGS_KEY = "kubus.timings"
#: The Cubes version Kubus is compatible with, as clients (CubesViewer) expect to read it.
CUBES_VERSION = "1.1"


class SlicerViews:
    """The view functions, bound to one workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        server = workspace.settings.server
        options = workspace.settings.authentication_options
        self.auth = params.Authentication(
            method=server.authentication or "none",
            parameter=options.get("parameter") or "api_key",
            realm=options.get("realm") or "Default")

    # -- per request ---------------------------------------------------------------------
    def identity(self) -> str | None:
        return params.identify(self.auth, request.args,
                               request.headers.get("Authorization"))

    def locale(self) -> str | None:
        """``?lang=xx`` selects the metadata translation of ``[locale xx]`` (§3.12)."""
        return request.args.get("lang") or None

    def responder(self, browser: Browser | None = None) -> Responder:
        server = self.workspace.settings.server
        return Responder(
            pretty=params.prettyprint(request.args, server.prettyprint),
            debug=params.debug(request.args),
            limit=server.json_record_limit,
            timings=(lambda: browser.timings) if browser is not None else (lambda: ()))

    def authorized_cube(self, name: str, identity: str | None) -> Cube:
        cube = self.workspace.cube(name, self.locale())
        allowed = {c.public_name for c in self.workspace.authorized_cubes(identity)}
        if cube.public_name not in allowed:
            who = f"'{identity}'" if identity is not None else "unspecified identity"
            raise NotAuthorizedError(f"Authorization of cube '{name}' failed for {who}")
        return cube

    def browser(self, cube_name: str) -> Browser:
        identity = self.identity()
        self.authorized_cube(cube_name, identity)
        browser = self.workspace.browser(cube_name, identity, self.locale())
        # Remembered for the Server-Timing header of error responses (see ``timing``).
        request.environ[TIMINGS_KEY] = browser.timings
        return browser

    # -- server --------------------------------------------------------------------------
    def index(self) -> Response:
        cubes = "".join(f"<li>{html.escape(c.public_name)}: {html.escape(c.display_label)}</li>"
                        for c in self.workspace.authorized_cubes(self.identity(), self.locale()))
        page = (f"<!doctype html><html><head><meta charset='utf-8'><title>Kubus</title></head>"
                f"<body><h1>Kubus {html.escape(__version__)}</h1>"
                f"<p>Cubes Slicer API version {API_VERSION} (Cubes {CUBES_VERSION} compatible)."
                f" See <a href='info'>info</a> and <a href='cubes'>cubes</a>.</p>"
                f"<p><a href='ui/'>Slice and dice in the web page</a></p>"
                f"<ul>{cubes}</ul></body></html>")
        return Response(page, mimetype="text/html")

    def version(self) -> Response:
        return self.responder().object({"version": CUBES_VERSION, "server_version": CUBES_VERSION,
                                        "api_version": API_VERSION})

    def info(self) -> Response:
        identity = self.identity()
        settings = self.workspace.settings
        body: dict[str, Any] = {}
        if settings.workspace.info:
            body.update(settings.workspace.info)
        body["json_record_limit"] = settings.server.json_record_limit
        body["cubes_version"] = CUBES_VERSION
        body["timezone"] = self.workspace.timezone_name
        body["first_weekday"] = self.workspace.first_weekday
        body["api_version"] = API_VERSION
        authentication: dict[str, Any] = {"type": self.auth.method}
        if identity is not None:
            authentication["identity"] = identity
            authentication["username"] = identity
        body["authentication"] = authentication
        return self.responder().object(body)

    def cubes(self) -> Response:
        cubes = self.workspace.authorized_cubes(self.identity(), self.locale())
        return self.responder().value([cube_list_item(c) for c in cubes])

    def logout(self) -> BaseResponse:
        if not self.auth.uses_basic:
            return Response("logged out", mimetype="text/html")
        target = request.args.get("url") or request.url_root
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return Response("logged out", status=401, mimetype="text/html",
                            headers={"WWW-Authenticate": f'Basic realm="{self.auth.realm}"'})
        netloc = "__logout__@" + parts.netloc.rpartition("@")[2]
        return redirect(urlunsplit(parts._replace(netloc=netloc)), code=302)

    def visualizer(self) -> BaseResponse:
        target = self.workspace.settings.server.visualizer
        if not target:
            raise PageNotFoundError("Visualizer not configured")
        return redirect(target, code=302)

    # -- cube metadata -------------------------------------------------------------------
    def model(self, cube_name: str) -> Response:
        try:
            cube = self.authorized_cube(cube_name, self.identity())
        except NoSuchCubeError:
            raise NotFoundError(cube_name, "cube", f"Unknown cube '{cube_name}'") from None
        return self.responder().object(cube_to_dict(cube))

    # -- data ----------------------------------------------------------------------------
    def aggregate(self, cube_name: str) -> Response:
        args = request.args
        fmt = params.response_format(args, params.AGGREGATE_FORMATS)
        header = params.header_type(args)
        page = params.page(args)
        browser = self.browser(cube_name)
        respond = self.responder(browser)
        cell = browser.cell(params.cuts(args))
        split_cuts = params.cuts(args, "split")
        split = browser.cell(split_cuts) if split_cuts else None
        query = prepare_aggregate(
            browser.cube, cell, aggregates=params.aggregate_names(args),
            measures=params.measure_names(args), drilldown=params.drilldown(args),
            split=split, order=params.order(args), page=page)
        result = browser.aggregate(query)
        if fmt == params.CSV:
            if result.levels is None:  # no drilldown or split: an empty body (COMPAT, §9 #32)
                return respond.csv(None, (), "aggregate.csv")
            columns = result.columns
            names = {"names": columns, "labels": result.labels, "none": None}[header]
            rows = ([cell_row.get(c) for c in columns] for cell_row in result.cells)
            return respond.csv(names, rows, "aggregate.csv")
        body = result.to_dict(
            hide_hidden=self.workspace.settings.server.hide_private_cuts,
            include_cell_count=result.total_cell_count is not None)
        body["cells"] = respond.limit_list(body["cells"])
        return respond.object(body)

    def facts(self, cube_name: str) -> Response:
        args = request.args
        fmt = params.response_format(args, params.RECORD_FORMATS)
        header = params.header_type(args)
        page = params.page(args)
        browser = self.browser(cube_name)
        respond = self.responder(browser)
        cell = browser.cell(params.cuts(args))
        query = prepare_facts(browser.cube, cell, fields=params.fields(args),
                              order=params.order(args), page=page)
        result = browser.facts(query, stream=True)
        if fmt == params.JSON_LINES:
            return respond.json_lines(result.rows)
        if fmt == params.CSV:
            columns = list(result.columns)
            labels = list(result.labels)
            if len(labels) == len(columns):
                labels = [result.key_label, *labels]
            names = {"names": [result.key_label, *columns], "labels": labels,
                     "none": None}[header]
            # The key column holds ``__fact_key__`` whatever it is called (defect 8 FIX).
            keys = ["__fact_key__", *columns]
            rows = ([record.get(k) for k in keys] for record in result.rows)
            return respond.csv(names, _closing(rows, result.rows), "facts.csv")
        return respond.records(result.rows)

    def fact(self, cube_name: str, fact_id: str) -> Response:
        browser = self.browser(cube_name)
        record = browser.fact(fact_id)
        if record is None:
            raise NotFoundError(fact_id, "fact", f"No fact with id '{fact_id}'")
        return self.responder(browser).object(record)

    def members(self, cube_name: str, dimension_name: str) -> Response:
        args = request.args
        fmt = params.response_format(args, params.RECORD_FORMATS)
        header = params.header_type(args)
        depth = params.integer(args, "depth")
        level = args.get("level") or None
        if depth is not None and level is not None:
            raise RequestError("Both depth and level provided, use only one "
                               "(preferably level)")
        page = params.page(args)
        browser = self.browser(cube_name)
        respond = self.responder(browser)
        cell = browser.cell(params.cuts(args))
        query = prepare_members(browser.cube, cell, dimension_name,
                                hierarchy=args.get("hierarchy") or None, depth=depth,
                                level=level, order=params.order(args), page=page)
        data = browser.members(query)
        if fmt == params.JSON_LINES:
            return respond.json_lines(data)
        if fmt == params.CSV:
            attributes = query.attributes
            names = {"names": [a.ref for a in attributes],
                     "labels": [a.label or a.name for a in attributes],
                     "none": None}[header]
            rows = ([record.get(a.ref) for a in attributes] for record in data)
            return respond.csv(names, rows, "facts.csv")
        return respond.object({"dimension": query.dimension.name,
                               "hierarchy": query.hierarchy.name,
                               "depth": len(query.levels),
                               "data": respond.limit_list(data)})

    def cell(self, cube_name: str) -> Response:
        browser = self.browser(cube_name)
        cell = browser.cell(params.cuts(request.args))
        details = browser.cell_details(cell)
        return self.responder(browser).object({"cube": browser.cube.public_name,
                                               "cuts": details})

    def report(self, cube_name: str) -> Response:
        browser = self.browser(cube_name)
        respond = self.responder(browser)
        body = run_report(browser, request.get_data(cache=False), params.cuts(request.args),
                          limit=respond.limit_list,
                          hide_hidden=self.workspace.settings.server.hide_private_cuts)
        return respond.object(body)

    def search(self, cube_name: str) -> Response:
        # 1.1 always crashed here (§9 #16); an explicit 501 says it is not there.
        return json_error({"error": "not_implemented",
                           "message": "Dimension search is not supported by this server"},
                          501, indent=4 if params.prettyprint(request.args, False) else None)


def _closing(rows: Iterator[Any], source: Iterator[Any]) -> Iterator[Any]:
    """``rows`` derived from ``source``, closing ``source`` when ``rows`` is closed."""
    try:
        yield from rows
    finally:
        close = getattr(source, "close", None)
        if callable(close):
            close()


def _cors_headers(response: Response, allowed: str) -> Response:
    origin = request.headers.get("Origin")
    response.headers["Access-Control-Allow-Origin"] = (origin or "*") if allowed == "*" \
        else allowed
    response.headers["Access-Control-Allow-Credentials"] = "true"
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Max-Age"] = "1728000"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Headers"] = "X-Requested-With"
    return response


def slicer_blueprint(workspace: Workspace) -> Blueprint:
    """The Slicer API blueprint, mounted at ``/`` (no trailing slashes, as 1.1)."""
    views = SlicerViews(workspace)
    bp = Blueprint("slicer", __name__)
    routes: Sequence[tuple[str, Any, Sequence[str]]] = (
        ("/", views.index, ("GET",)),
        ("/version", views.version, ("GET",)),
        ("/info", views.info, ("GET",)),
        ("/cubes", views.cubes, ("GET",)),
        ("/logout", views.logout, ("GET",)),
        ("/visualizer/", views.visualizer, ("GET",)),
        ("/visualizer/index.html", views.visualizer, ("GET",)),
        ("/cube/<cube_name>/model", views.model, ("GET",)),
        ("/cube/<cube_name>/aggregate", views.aggregate, ("GET",)),
        ("/cube/<cube_name>/facts", views.facts, ("GET",)),
        ("/cube/<cube_name>/fact/<fact_id>", views.fact, ("GET",)),
        ("/cube/<cube_name>/members/<dimension_name>", views.members, ("GET",)),
        ("/cube/<cube_name>/cell", views.cell, ("GET",)),
        ("/cube/<cube_name>/report", views.report, ("GET", "POST")),
        ("/cube/<cube_name>/search", views.search, ("GET",)),
    )
    for rule, view, methods in routes:
        endpoint = view.__name__ if rule != "/visualizer/index.html" else "visualizer_index"
        bp.add_url_rule(rule, endpoint, view, methods=list(methods))

    @bp.before_request
    def authenticate() -> None:
        # Every routed request is authenticated first, as in 1.1 (401 before anything else);
        # CORS preflights carry no credentials and are answered without.
        if request.method != "OPTIONS":
            views.identity()

    @bp.after_app_request
    def timing(response: Response) -> Response:
        # Successful responses set it when they are built; errors (even for URLs that match
        # no route) get it here.
        if "Server-Timing" not in response.headers:
            response.headers["Server-Timing"] = server_timing(
                request.environ.get(TIMINGS_KEY, ()))
        return response

    allowed = workspace.settings.server.allow_cors_origin
    if allowed:
        @bp.after_request
        def cors(response: Response) -> Response:
            return _cors_headers(response, allowed)

    return bp


__all__ = ["API_VERSION", "CUBES_VERSION", "SlicerViews", "slicer_blueprint"]
