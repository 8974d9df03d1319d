"""The Cubes hello-world example over HTTP: what the server does around the endpoints.

Authentication and server info (§1.4, §5.1), CORS, debug output and timing, errors
(§1.13), random input, and the ``kubus serve`` command line.

Together the ``test_slicer_http_*`` modules check every number of slicer-api.md §7.2/§7.3 and
the response shapes of §1.3-§1.14, on each backend of the matrix, against a real Kubus server
(waitress, from ``slicer_http_support``). The expected values are the published Cubes 1.1
results, not Kubus output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from conftest import Backend, load_hello_world
from hypothesis import given, settings
from hypothesis import strategies as st
from slicer_http_support import CUBE, WHOLE_SUMMARY, Server, json_of

from kubus.config.settings import load_settings
from kubus.server.workspace import Workspace

pytest_plugins = ["slicer_http_support"]


# -- authentication and server info (§1.4, §5.1) ------------------------------------------

def test_pass_parameter_identity_in_info(servers: Callable[..., Server]) -> None:
    server = servers(authentication="pass_parameter")
    body = json_of(server.get("/info", {"api_key": "alice"}))
    assert body["authentication"] == {"type": "pass_parameter", "identity": "alice",
                                      "username": "alice"}
    assert json_of(server.get("/info"))["authentication"] == {"type": "pass_parameter"}


def test_admin_admin_authentication(servers: Callable[..., Server]) -> None:
    server = servers(authentication="admin_admin")
    response = server.get("/cubes")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Default"'
    assert response.text == json.dumps({"error": {"message": None,
                                                  "type": "not_authenticated"}}, indent=4)
    assert server.get("/cubes", auth=("admin", "nope")).status_code == 401
    assert json_of(server.get("/cubes", auth=("admin", "admin")))[0]["name"] == "irbd_balance"


def test_info_section(tmp_path: Path, hello_world_backend: Backend,
                      hello_world_dir: Path) -> None:
    ini = tmp_path / "slicer.ini"
    ini.write_text(
        "[workspace]\ntimezone: UTC\n[server]\njson_record_limit: 5\n"
        "[info]\nlabel: Test Server\ndescription: Hello world data\nlicense: Public Domain\n"
        "visualizer: http://example.com/viz\n"
        f"[store]\ntype: sql\nurl: {hello_world_backend.url}\n"
        f"[models]\nmain: {hello_world_dir / 'model.json'}\n")
    server = Server(Workspace.from_settings(load_settings(ini, environ={})))
    try:
        assert server.get("/info").text == (
            '{"name": null, "label": "Test Server", "description": "Hello world data", '
            '"copyright": null, "license": "Public Domain", "maintainer": null, '
            '"contributors": null, "visualizers": [{"label": "Test Server", "url": '
            '"http://example.com/viz"}], "keywords": null, "related": null, '
            '"json_record_limit": 5, "cubes_version": "1.1", "timezone": "UTC", '
            '"first_weekday": 0, "api_version": 2, "authentication": {"type": "none"}}')
    finally:
        server.stop()


# -- CORS, debug, timing ---------------------------------------------------------------------

def test_cors_on_routed_requests(slicer: Server) -> None:
    response = slicer.get(f"{CUBE}/aggregate", headers={"Origin": "http://x.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "http://x.example"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
    assert response.headers["Access-Control-Max-Age"] == "1728000"
    assert "Access-Control-Allow-Headers" not in response.headers
    assert slicer.get("/version").headers["Access-Control-Allow-Origin"] == "*"
    # Errors of routed requests carry CORS too; unrouted URLs get none.
    assert "Access-Control-Allow-Origin" in slicer.get("/cube/nosuch/aggregate").headers
    assert "Access-Control-Allow-Origin" not in slicer.get("/nosuch").headers


def test_cors_preflight(slicer: Server) -> None:
    response = slicer.request("OPTIONS", "/cube/x/aggregate",
                              headers={"Origin": "http://x.example"})
    assert response.status_code == 200
    assert response.content == b""
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {
        "OPTIONS", "HEAD", "GET"}
    assert response.headers["Access-Control-Allow-Origin"] == "http://x.example"
    assert response.headers["Access-Control-Allow-Headers"] == "X-Requested-With"


def test_no_cors_without_the_setting(servers: Callable[..., Server]) -> None:
    server = servers()
    assert "Access-Control-Allow-Origin" not in server.get("/version").headers


def test_debug_and_server_timing(slicer: Server) -> None:
    response = slicer.get(f"{CUBE}/aggregate", {"drilldown": "year", "debug": "true"})
    body = json_of(response)
    assert list(body)[-1] == "debug"
    statements = body["debug"]["statements"]
    assert statements and all(set(s) == {"purpose", "sql", "seconds", "rows"}
                              for s in statements)
    assert "irbd_balance" in statements[0]["sql"]
    assert response.headers["Server-Timing"].startswith("db;dur=")
    facts = slicer.get(f"{CUBE}/facts", {"debug": "yes", "cut": "item:e"})
    assert len(json_of(facts)) == 8
    debug = json.loads(facts.headers["X-Kubus-Debug"])
    assert debug["statements"][0]["rows"] == 8
    plain = slicer.get(f"{CUBE}/aggregate")
    assert "debug" not in plain.json()
    assert "X-Kubus-Debug" not in plain.headers
    assert plain.headers["Server-Timing"].startswith("db;dur=")
    error = slicer.get(f"{CUBE}/aggregate", {"cut": "item:a-b-c"})
    assert error.headers["Server-Timing"].startswith("db;dur=")


# -- errors (§1.13) ------------------------------------------------------------------------------

def test_unknown_cube_on_model_is_nested(slicer: Server) -> None:
    response = slicer.get("/cube/nosuch/model")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.text == json.dumps({"error": {
        "message": "Unknown cube 'nosuch'", "type": "object_not_found", "object": "nosuch",
        "object_type": "cube"}}, indent=4)


def test_unknown_cube_on_data_endpoints_is_flat(slicer: Server) -> None:
    for path in ("aggregate", "facts", "fact/1", "members/item", "cell"):
        response = slicer.get(f"/cube/nosuch/{path}")
        assert response.status_code == 404
        assert response.text == ('{"error": "missing_object", "message": "Unknown cube '
                                 '\'nosuch\'", "object": "nosuch", "object_type": "cube"}')


FLAT_ERRORS = [
    ("aggregate", {"cut": "nosuch:a"}, 404, "missing_object",
     "cube 'irbd_balance' has no dimension 'nosuch'"),
    ("aggregate", {"drilldown": "nosuch"}, 404, "missing_object", "no dimension 'nosuch'"),
    ("aggregate", {"cut": "item@nosuch:a"}, 404, "missing_object", "hierarchy 'nosuch'"),
    ("aggregate", {"drilldown": "item@nosuch"}, 404, "missing_object", "hierarchy 'nosuch'"),
    ("members/item", {"hierarchy": "nosuch"}, 404, "missing_object", "hierarchy 'nosuch'"),
    ("members/nosuch", {}, 404, "missing_object", "no dimension 'nosuch'"),
    ("aggregate", {"drilldown": "item:nosuch"}, 400, "hierarchy",
     "Level nosuch is not part of hierarchy default"),
    ("members/item", {"level": "nosuch"}, 400, "hierarchy",
     "Level nosuch is not part of hierarchy default"),
    ("members/item", {"depth": "9"}, 400, "hierarchy", ""),
    ("aggregate", {"cut": "year:2009,1"}, 400, "hierarchy", "longer than hierarchy"),
    ("aggregate", {"drilldown": "item", "cut": "item:a,da,Derivative assets"}, 400,
     "hierarchy", "Hierarchy default in dimension item has only 3 levels, can not drill to 4"),
    ("aggregate", {"aggregates": "nosuch"}, 400, "unknown_user_error",
     "No measure aggregate ''nosuch'' in cube 'irbd_balance'"),
    ("aggregate", {"aggregates": ""}, 400, "unknown_user_error",
     "List of aggregates should not be empty"),
    ("aggregate", {"measures": "nosuch"}, 400, "unknown_user_error", "nosuch"),
    ("aggregate", {"order": "nonexistent"}, 400, "unknown_user_error",
     "Cube 'irbd_balance' has no attribute 'nonexistent'"),
    ("aggregate", {"drilldown": "item", "order": "year"}, 400, "unknown_user_error", "year"),
    ("aggregate", {"order": "amount_sum:up"}, 400, "unknown_user_error", "direction"),
    ("aggregate", {"cut": "item:a-b-c"}, 400, "unknown_user_error", "Unknown cut format"),
    ("aggregate", {"cut": "item:a:b"}, 400, "unknown_user_error",
     "Wrong dimension cut string: 'item:a:b'"),
    ("aggregate", {"cut": "item"}, 400, "unknown_user_error", "Wrong dimension cut string"),
    ("aggregate", {"cut": "!!item:a"}, 400, "unknown_user_error", "does not match pattern"),
    ("aggregate", {"drilldown": ""}, 400, "unknown_user_error", "should not be empty"),
    ("aggregate", {"drilldown": "!item"}, 400, "unknown_user_error", "drilldown"),
    ("aggregate", {"drilldown": "item.category"}, 400, "unknown_user_error", "unexpected"),
    ("aggregate", {"split": "item:a:b"}, 400, "unknown_user_error", "Wrong dimension"),
    ("facts", {"fields": "nosuch"}, 400, "unknown_user_error",
     "Unknown attribute 'nosuch' in cube 'irbd_balance'"),
    ("facts", {"order": "nosuch"}, 400, "unknown_user_error", "nosuch"),
    ("facts", {"fields": "amount", "order": "year"}, 400, "unknown_user_error", "year"),
    ("cell", {"cut": "nosuch:1"}, 404, "missing_object", "nosuch"),
]


@pytest.mark.parametrize(("path", "params", "status", "error", "message"), FLAT_ERRORS)
def test_flat_user_errors(slicer: Server, path: str, params: dict[str, str], status: int,
                          error: str, message: str) -> None:
    body = json_of(slicer.get(f"{CUBE}/{path}", params), status)
    assert body["error"] == error
    assert message in body["message"]
    assert list(body)[:2] == ["error", "message"]


NESTED_ERRORS = [
    ("aggregate", {"page": "x", "pagesize": "2"}, "page should be an integer"),
    ("aggregate", {"page": "1", "pagesize": "x"}, "pagesize should be an integer"),
    ("facts", {"page": "-1", "pagesize": "2"}, "page"),
    ("aggregate", {"format": "xml"}, "format"),
    ("aggregate", {"format": "json_lines"}, "format"),
    ("aggregate", {"header": "bogus"}, "header"),  # 400 even for JSON output
    ("facts", {"format": "xml"}, "format"),
    ("members/item", {"depth": "x"}, "depth should be an integer"),
    ("members/item", {"depth": "1", "level": "category"}, "Both depth and level"),
]


@pytest.mark.parametrize(("path", "params", "message"), NESTED_ERRORS)
def test_nested_request_errors(slicer: Server, path: str, params: dict[str, str],
                               message: str) -> None:
    response = slicer.get(f"{CUBE}/{path}", params)
    body = json_of(response, 400)
    assert body["error"]["type"] == "request"
    assert message in body["error"]["message"]
    assert response.text == json.dumps(body, indent=4)  # always indented


def test_unknown_urls_are_json(slicer: Server) -> None:
    expected = {"error": "not_found", "message": "The requested URL was not found on the "
                "server.", "hint": "If you entered the URL manually please check your spelling "
                "and try again."}
    for path in ("/nosuch", "/cubes/", "/cube/irbd_balance", "/cube/irbd_balance/nosuch"):
        assert json_of(slicer.get(path), 404) == expected
    body = json_of(slicer.request("POST", f"{CUBE}/aggregate"), 405)
    assert body["error"] == "method_not_allowed"
    assert json_of(slicer.get(f"{CUBE}/search", {"dimension": "item", "query": "a"}),
                   501)["error"] == "not_implemented"


def test_other_endpoints(slicer: Server) -> None:
    response = slicer.get("/logout")
    assert (response.status_code, response.text) == (200, "logged out")
    body = json_of(slicer.get("/visualizer/"), 404)
    assert body == {"error": {"message": "Visualizer not configured", "type": "not_found"}}
    index = slicer.get("/")
    assert index.status_code == 200
    assert "irbd_balance" in index.text


def test_visualizer_redirect(servers: Callable[..., Server]) -> None:
    server = servers(visualizer="http://viz.example/")
    response = server.get("/visualizer/", allow_redirects=False)
    assert (response.status_code, response.headers["Location"]) == (302,
                                                                    "http://viz.example/")


# -- random input never breaks the server ------------------------------------------------------

TOKENS = ["item", "year", "nosuch", ":", "|", ",", ";", "-", "!", "@", "\\", "a", "e", "l",
          "da", "2009", "2010", "__null__", "default", "category", "subcategory", "line_item",
          "today", "3yearsago", "lastmonth", "asc", "desc", "amount_sum", "record_count",
          "item.category", " ", "%", "'", '"', "x" * 40]
fragments = st.one_of(
    st.lists(st.sampled_from(TOKENS), max_size=12).map("".join),
    st.text(max_size=20),
)


@settings(max_examples=120, deadline=None)
@given(cut=fragments, drilldown=fragments, order=fragments,
       endpoint=st.sampled_from(["aggregate", "facts", "members/item", "cell"]))
def test_random_parameters_never_fail_the_server(slicer: Server, cut: str, drilldown: str,
                                                 order: str, endpoint: str) -> None:
    response = slicer.get(f"{CUBE}/{endpoint}", {"cut": cut, "drilldown": drilldown,
                                                 "order": order})
    assert response.status_code < 500, response.text
    assert response.headers["Content-Type"] == "application/json"
    response.json()


@pytest.mark.parametrize("cut", [
    "item:a\x00b",                   # PostgreSQL text cannot hold NUL bytes
    "year:99999999999999999999",     # beyond any integer column
    "year:2009-99999999999999999999",
    "item:\U0001f600",               # astral-plane character
])
@pytest.mark.parametrize("endpoint", ["aggregate", "facts", "members/item", "cell"])
def test_values_a_database_cannot_hold_are_client_errors(slicer: Server, cut: str,
                                                         endpoint: str) -> None:
    response = slicer.get(f"{CUBE}/{endpoint}", {"cut": cut})
    assert response.status_code < 500, response.text
    assert response.headers["Content-Type"] == "application/json"


# -- the command line ------------------------------------------------------------------------

def test_kubus_serve_command(tmp_path: Path, hello_world_dir: Path) -> None:
    """``kubus serve`` starts, prints its URL, answers, and stops cleanly on SIGTERM."""
    url = f"sqlite:///{tmp_path / 'hello.sqlite'}"
    engine = sa.create_engine(url)
    load_hello_world(engine, hello_world_dir)
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBUS_")}
    env["KUBUS_SERVER_ALLOW_CORS_ORIGIN"] = "*"
    process = subprocess.Popen(
        [sys.executable, "-m", "kubus.server.cli", "serve", "--model",
         str(hello_world_dir / "model.json"), "--store", url, "--host", "127.0.0.1",
         "--port", "0", "--threads", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Serving Kubus on http://127.0.0.1:"), (
            line + (process.stderr.read() if process.poll() is not None else ""))
        base = line.split(" on ", 1)[1].strip()
        response = requests.get(base + "cube/irbd_balance/aggregate", timeout=30)
        assert response.json()["summary"] == WHOLE_SUMMARY
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Kubus stopped." in out
