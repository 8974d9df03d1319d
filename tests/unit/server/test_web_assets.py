"""The ``/ui/`` page and its assets, through the Flask test client (no browser).

The page must work offline: nothing it or its assets reference may point at another host.
Assets are versioned by content and served with the content types browsers insist on for
module scripts and style sheets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import load_hello_world
from flask import Flask
from flask.testing import FlaskClient

from kubus.config.settings import load_settings, with_overrides
from kubus.server.app import create_app
from kubus.server.web import STATIC_DIR, Assets, content_type, web_blueprint
from kubus.server.workspace import Workspace

ASSET_URL = re.compile(r'(?:href|src)="(assets/[^"]+)"')
JS_IMPORT = re.compile(r"""from\s+'(\./[^']+)'""")
EXTERNAL = re.compile(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", re.IGNORECASE)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, hello_world_dir: Path
           ) -> Iterator[FlaskClient]:
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'hello.sqlite'}"
    engine = sa.create_engine(url)
    load_hello_world(engine, hello_world_dir)
    engine.dispose()
    settings = with_overrides(load_settings(None, environ={}),
                              models=[str(hello_world_dir / "model.json")], store_url=url)
    workspace = Workspace.from_settings(settings)
    yield create_app(workspace).test_client()
    workspace.close()


def test_page_is_served_with_versioned_assets(client: FlaskClient) -> None:
    response = client.get("/ui/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    version = Assets.load().version
    urls = ASSET_URL.findall(response.text)
    assert sorted(urls) == [f"assets/{version}/app.css", f"assets/{version}/app.js"]
    assert client.get("/ui").status_code in (301, 308)


@pytest.mark.parametrize(("name", "expected"), [
    ("app.js", "text/javascript; charset=utf-8"),
    ("app.css", "text/css; charset=utf-8"),
    ("pivot.js", "text/javascript; charset=utf-8"),
])
def test_assets_have_their_content_type_and_are_cached_per_version(
        client: FlaskClient, name: str, expected: str) -> None:
    version = Assets.load().version
    response = client.get(f"/ui/assets/{version}/{name}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == expected
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data == (STATIC_DIR / name).read_bytes()
    stale = client.get(f"/ui/assets/0000000000/{name}")
    assert stale.status_code == 200 and stale.headers["Cache-Control"] == "no-cache"


def test_unknown_assets_are_json_404s(client: FlaskClient) -> None:
    version = Assets.load().version
    for path in (f"/ui/assets/{version}/nosuch.js", f"/ui/assets/{version}/index.html",
                 f"/ui/assets/{version}/../app.py"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"] == "application/json"


def test_every_module_import_is_served(client: FlaskClient) -> None:
    version = Assets.load().version
    modules = ["app.js"]
    seen: set[str] = set()
    while modules:
        name = modules.pop()
        if name in seen:
            continue
        seen.add(name)
        response = client.get(f"/ui/assets/{version}/{name}")
        assert response.status_code == 200, name
        modules.extend(m[2:] for m in JS_IMPORT.findall(response.text))
    shipped = {p.name for p in STATIC_DIR.glob("*.js")}
    assert seen == shipped, "every shipped module is reachable from app.js"


def test_nothing_references_another_host(client: FlaskClient) -> None:
    texts = {"/ui/": client.get("/ui/").text}
    version = Assets.load().version
    for path in sorted(STATIC_DIR.iterdir()):
        if path.name != "index.html":
            texts[path.name] = client.get(f"/ui/assets/{version}/{path.name}").text
    offenders = {name: EXTERNAL.findall(text) for name, text in texts.items()
                 if EXTERNAL.search(text)}
    assert offenders == {}


def test_the_informational_index_links_to_the_page(client: FlaskClient) -> None:
    index = client.get("/")
    assert index.headers["Content-Type"].startswith("text/html")
    assert "href='ui/'" in index.text


def test_version_follows_the_content(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<script src='assets/__ASSET_VERSION__/a.js'></script>")
    (tmp_path / "a.js").write_text("export const a = 1;\n")
    first = Assets.load(tmp_path)
    assert first.page() == f"<script src='assets/{first.version}/a.js'></script>".encode()
    (tmp_path / "a.js").write_text("export const a = 2;\n")
    assert Assets.load(tmp_path).version != first.version
    app = Flask("t")
    app.register_blueprint(web_blueprint(first))
    served = app.test_client().get(f"/ui/assets/{first.version}/a.js")
    assert served.data == b"export const a = 1;\n"
    assert content_type("x.SVG") == "image/svg+xml"
    assert content_type("x.bin") == "application/octet-stream"
