"""The analysts' slice-and-dice web page, served at ``/ui/`` (``docs/web.md``).

The page is static HTML, CSS and JavaScript modules under ``kubus/server/static/ui``; it talks
to the server only through the public Slicer API (``/cubes``, ``/cube/<c>/model``,
``/aggregate``, ``/members``, ``/facts``), so it also works against any other Cubes-compatible
server. Nothing here touches a workspace or a database, and nothing is imported from the other
layers (``docs/web.md`` is the user guide).

Assets are served under a content-hash version (``/ui/assets/<version>/app.js``): a new
release changes the URL, so browsers may cache each version for a year. Example::

    app.register_blueprint(web_blueprint())
    app.test_client().get("/ui/").text  # the page, linking assets/<version>/app.js
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from flask import Blueprint, Response, abort

#: Where the page's files live inside the installed package.
STATIC_DIR = Path(str(resources.files("kubus.server").joinpath("static", "ui")))

#: Content types by suffix; set explicitly so the platform's mime table cannot change them
#: (module scripts must be served with a JavaScript type or the browser refuses them).
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
ASSET_CACHE = "public, max-age=31536000, immutable"
PAGE_CACHE = "no-cache"
#: Scripts and styles only from this server; the Slicer API may live elsewhere (``?api=``).
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data: blob:; connect-src *; object-src 'none'; "
                           "base-uri 'none'; frame-ancestors 'none'")
VERSION_PLACEHOLDER = "__ASSET_VERSION__"


@dataclass(frozen=True)
class Assets:
    """The page's files, read once when the blueprint is built."""

    files: dict[str, bytes]
    version: str

    @classmethod
    def load(cls, directory: Path = STATIC_DIR) -> Assets:
        files = {p.relative_to(directory).as_posix(): p.read_bytes()
                 for p in sorted(directory.rglob("*")) if p.is_file()}
        digest = hashlib.sha256()
        for name, data in files.items():
            digest.update(name.encode() + b"\0" + data)
        return cls(files, digest.hexdigest()[:12])

    def page(self) -> bytes:
        return self.files["index.html"].replace(VERSION_PLACEHOLDER.encode(),
                                                self.version.encode())


def content_type(name: str) -> str:
    """The ``Content-Type`` an asset is served with, e.g. ``text/css; charset=utf-8``."""
    return CONTENT_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")


def web_blueprint(assets: Assets | None = None) -> Blueprint:
    """The ``/ui/`` page and its versioned assets."""
    served = assets or Assets.load()
    page = served.page()
    bp = Blueprint("web", __name__)

    def index() -> Response:
        response = Response(page, content_type=CONTENT_TYPES[".html"])
        response.headers["Cache-Control"] = PAGE_CACHE
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    def asset(version: str, name: str) -> Response:
        data = served.files.get(name)
        if data is None or name == "index.html":
            abort(404)
        response = Response(data, content_type=content_type(name))
        response.headers["X-Content-Type-Options"] = "nosniff"
        # An old version's URL still answers (with today's file) but must not be cached long.
        response.headers["Cache-Control"] = (ASSET_CACHE if version == served.version
                                             else PAGE_CACHE)
        return response

    bp.add_url_rule("/ui/", "index", index, methods=["GET"])
    bp.add_url_rule("/ui/assets/<version>/<path:name>", "asset", asset, methods=["GET"])
    return bp


__all__ = ["Assets", "content_type", "web_blueprint"]
