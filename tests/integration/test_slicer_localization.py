"""``[locale XX]`` translations served with ``?lang=XX`` (the 1.1 FIX of §3.12), over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Backend
from slicer_http_support import Server

from kubus.config.settings import load_settings
from kubus.server.workspace import Workspace

pytest_plugins = ["slicer_http_support"]

SK = {"cubes": {"irbd_balance": {"label": "Súvaha",
                                 "aggregates": {"amount_sum": "Súčet sumy"}}},
      "dimensions": {"year": "Rok"}}


@pytest.fixture
def server(hello_world_backend: Backend, hello_world_dir: Path, tmp_path: Path) -> Server:
    (tmp_path / "sk.json").write_text(json.dumps(SK, ensure_ascii=False), encoding="utf-8")
    ini = tmp_path / "slicer.ini"
    ini.write_text(f"""[workspace]
[server]
[store]
type: sql
url: {hello_world_backend.url}
[model]
path: {hello_world_dir / 'model.json'}
[locale sk]
default: sk.json
""")
    running = Server(Workspace.from_settings(load_settings(ini)))
    yield running
    running.stop()


def test_model_and_csv_labels_follow_lang(server: Server) -> None:
    assert server.get("/cube/irbd_balance/model", {"lang": "sk"}).json()["label"] == "Súvaha"
    assert server.get("/cube/irbd_balance/model").json()["label"] == "Irbd balance"
    assert server.get("/cube/irbd_balance/model", {"lang": "de"}).json()["label"] == \
        "Irbd balance"  # no such translation: the model's own labels
    cubes = server.get("/cubes", {"lang": "sk"}).json()
    assert cubes[0]["label"] == "Súvaha"
    csv = server.get("/cube/irbd_balance/aggregate",
                     {"lang": "sk", "drilldown": "year", "format": "csv",
                      "aggregates": "amount_sum"}).text
    assert csv.splitlines()[0] == "Rok,Súčet sumy"  # the flat level takes the dimension label
    body = server.get("/cube/irbd_balance/aggregate", {"lang": "sk", "drilldown": "year"}).json()
    assert body["summary"]["amount_sum"] == 1116860  # data and refs never change
