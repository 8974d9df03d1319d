"""``/api/v1/jobs`` over HTTP (Flask test client) with a real runner and job store: the job
list, paged runs, running a job now (202, then 409 while it runs), the one error shape for
unknown jobs, bad parameters and a server without a runner. Every answer is checked against
the OpenAPI document."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
pytest.register_assert_rewrite("api_support")

from api_support import _REGISTRY, documented_schema  # noqa: E402
from jobs_support import Ends, Probe, make_runner, runs_of  # noqa: E402

from kubus.config.settings import load_settings  # noqa: E402
from kubus.model.catalog import Catalog  # noqa: E402
from kubus.server.app import create_app  # noqa: E402
from kubus.server.jobs.runner import JobRunner  # noqa: E402
from kubus.server.workspace import Workspace  # noqa: E402

pytest_plugins = ["api_support"]

CRON = "CRON_TZ=Europe/Berlin\n30 6 * * 1-5 block rows=2\n@hourly count rows=3\n"


class Client:
    """The Flask test client; every answer is validated against the OpenAPI document."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def call(self, method: str, path: str, status: int, body: Any = None) -> Any:
        full = "/api/v1" + path
        response = self.client.open(full, method=method, json=body)
        assert response.status_code == status, response.get_data(as_text=True)
        assert response.mimetype == "application/json"
        payload = response.get_json()
        schema = documented_schema(method, full.split("?")[0], status)
        Draft202012Validator(schema, registry=_REGISTRY).validate(payload)
        if response.headers.get("Location"):
            payload = {**payload, "_location": response.headers["Location"]}
        return payload


@pytest.fixture
def workspace() -> Iterator[Workspace]:
    workspace = Workspace(load_settings(None, environ={}), Catalog.from_models([]))
    yield workspace
    workspace.close()


@pytest.fixture
def setup(tmp_path: Path, workspace: Workspace) -> Iterator[tuple[Client, JobRunner, Probe]]:
    probe = Probe()
    store = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    oltp = sa.create_engine(f"sqlite:///{tmp_path / 'oltp.sqlite'}")
    runner = make_runner(store, CRON, probe.catalog(), owner="web:1")
    runner.start()
    app = create_app(workspace, oltp=oltp, jobs=runner)
    try:
        yield Client(app.test_client()), runner, probe
    finally:
        probe.release.set()
        runner.shutdown(dispose_store=True)
        oltp.dispose()


def test_the_job_list(setup: tuple[Client, JobRunner, Probe]) -> None:
    client, runner, _ = setup
    runner.run_here("count")
    listing = client.call("GET", "/jobs", 200)
    assert (listing["scheduler"], listing["timezone"]) == ("running", "UTC")
    jobs = {job["name"]: job for job in listing["items"]}
    assert sorted(jobs) == ["block", "count", "fail"]
    block = jobs["block"]
    assert (block["schedule"], block["timezone"], block["cron_line"], block["params"]) == (
        "30 6 * * 1-5", "Europe/Berlin", "test.cron:2", ["rows=2"])
    assert block["next_run_time"].endswith(("06:30:00+01:00", "06:30:00+02:00"))
    assert block["scheduled_here"] is True and block["last_run"] is None
    assert jobs["count"]["schedule"] == "0 * * * *"
    assert jobs["count"]["last_run"]["rows"] == 3
    assert jobs["fail"]["schedule"] is None and jobs["fail"]["next_run_time"] is None
    assert [p["name"] for p in block["parameters"]] == ["rows"]


def test_run_now_then_409_while_it_runs(setup: tuple[Client, JobRunner, Probe]) -> None:
    client, runner, probe = setup
    ends = Ends(runner)
    started = client.call("POST", "/jobs/block/runs", 202, {"params": ["rows=7"]})
    assert (started["status"], started["trigger"], started["params"]) == (
        "running", "manual", ["rows=7"])
    assert started["_location"] == f"/api/v1/jobs/block/runs/{started['run_id']}"
    assert probe.started.wait(30)
    busy = client.call("POST", "/jobs/block/runs", 409)
    assert busy["error"]["code"] == "job_running"
    assert {"running_run_id": started["run_id"]} in busy["error"]["details"]
    probe.release.set()
    assert ends.next().status == "skipped"  # the refused attempt, recorded
    assert ends.next().run_id == started["run_id"]
    run = client.call("GET", f"/jobs/block/runs/{started['run_id']}", 200)
    assert (run["status"], run["rows"], run["owner"]) == ("ok", 7, "web:1")
    assert run["finished_at"] >= run["started_at"]


def test_runs_are_paged_newest_first(setup: tuple[Client, JobRunner, Probe],
                                     tmp_path: Path) -> None:
    client, runner, _ = setup
    for rows in range(5):
        runner.run_here("count", [("rows", str(rows))])
    runner.run_here("fail")
    seen: list[int] = []
    page = client.call("GET", "/jobs/count/runs?limit=2", 200)
    while True:
        assert len(page["items"]) <= 2
        seen.extend(item["rows"] for item in page["items"])
        if page["next_cursor"] is None:
            break
        page = client.call("GET", f"/jobs/count/runs?limit=2&cursor={page['next_cursor']}",
                           200)
    assert seen == [4, 3, 2, 1, 0]
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    assert runs_of(engine, "count") == [("manual", "ok")] * 5
    engine.dispose()
    failed = client.call("GET", "/jobs/fail/runs", 200)["items"]
    assert [(r["status"], r["error"]) for r in failed] == [
        ("failed", "RuntimeError: disk full (on purpose)")]


@pytest.mark.parametrize(("method", "path", "body", "status", "code"), [
    ("GET", "/jobs/nope/runs", None, 404, "unknown_job"),
    ("POST", "/jobs/nope/runs", {}, 404, "unknown_job"),
    ("GET", "/jobs/nope/runs/1", None, 404, "unknown_job"),
    ("GET", "/jobs/count/runs/999", None, 404, "unknown_run"),
    ("POST", "/jobs/count/runs", {"params": ["limit=3"]}, 400, "invalid_body"),
    ("POST", "/jobs/count/runs", {"params": ["rows"]}, 400, "invalid_body"),
    ("POST", "/jobs/count/runs", {"params": ["rows=many"]}, 400, "invalid_body"),
    ("POST", "/jobs/count/runs", {"params": "rows=1"}, 400, "invalid_body"),
    ("POST", "/jobs/count/runs", {"when": "now"}, 400, "invalid_body"),
    ("GET", "/jobs/count/runs?cursor=xyz", None, 400, "invalid_cursor"),
    ("GET", "/jobs/count/runs?limit=0", None, 400, "invalid_parameter"),
])
def test_bad_requests_get_the_one_error_shape(
        setup: tuple[Client, JobRunner, Probe], method: str, path: str, body: Any,
        status: int, code: str) -> None:
    client, runner, _ = setup
    answer = client.call(method, path, status, body)
    assert answer["error"]["code"] == code and answer["error"]["message"]
    assert runner.runs("count") == []  # nothing was recorded


def test_a_server_without_a_job_runner(tmp_path: Path, workspace: Workspace) -> None:
    oltp = sa.create_engine(f"sqlite:///{tmp_path / 'oltp.sqlite'}")
    client = Client(create_app(workspace, oltp=oltp).test_client())
    for method, path in (("GET", "/jobs"), ("GET", "/jobs/count/runs"),
                         ("POST", "/jobs/count/runs"), ("GET", "/jobs/count/runs/1")):
        answer = client.call(method, path, 404, {} if method == "POST" else None)
        assert answer["error"]["code"] == "jobs_unavailable"
    oltp.dispose()
