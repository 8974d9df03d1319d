"""A real Kubus server (waitress) over the hello-world backend, for the HTTP suite.

The ``test_slicer_http_*`` modules load this module with ``pytest_plugins`` for its
``servers`` and ``slicer`` fixtures and import the server and the helpers they share.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import Backend

from kubus.config.settings import load_settings, with_overrides
from kubus.server.app import create_app
from kubus.server.workspace import Workspace

CUBE = "/cube/irbd_balance"
WHOLE_SUMMARY = {"amount_sum": 1116860, "double_amount_sum": 2233720, "record_count": 62}


# -- a real server in a thread ------------------------------------------------------------------

class Server:
    """waitress serving ``create_app(workspace)`` on a free port until :meth:`stop`."""

    def __init__(self, workspace: Workspace) -> None:
        from waitress.server import create_server

        self.workspace = workspace
        self.server: Any = create_server(create_app(workspace), host="127.0.0.1", port=0,
                                         threads=4)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        self.session = requests.Session()

    def get(self, path: str, params: Any = None, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url + path, params=params, timeout=60, **kwargs)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.url + path, timeout=60, **kwargs)

    def stop(self) -> None:
        from waitress import wasyncore

        # Close the sockets from inside the loop thread; the loop ends when its map is empty.
        socket_map = self.server._map
        self.server.trigger.pull_trigger(lambda: wasyncore.close_all(socket_map))
        self.thread.join(10)
        assert not self.thread.is_alive(), "the test server did not stop"
        self.server.task_dispatcher.shutdown()
        self.session.close()
        self.workspace.close()


def _settings(url: str, model: Path, **overrides: Any) -> Any:
    base = load_settings(None, environ={})
    return with_overrides(base, models=[str(model)], store_url=url, timezone="UTC",
                          **overrides)


@pytest.fixture(scope="module")
def servers(hello_world_backend: Backend, hello_world_dir: Path
            ) -> Iterator[Callable[..., Server]]:
    """Start (once per settings) servers over the hello-world backend of this module."""
    started: dict[tuple[tuple[str, Any], ...], Server] = {}

    def start(**overrides: Any) -> Server:
        key = tuple(sorted(overrides.items()))
        if key not in started:
            settings = _settings(hello_world_backend.url, hello_world_dir / "model.json",
                                 **overrides)
            started[key] = Server(Workspace.from_settings(settings))
        return started[key]

    yield start
    for server in started.values():
        server.stop()


@pytest.fixture(scope="module")
def slicer(servers: Callable[..., Server]) -> Server:
    return servers(allow_cors_origin="*")


def json_of(response: requests.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    return response.json()
