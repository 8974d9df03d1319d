"""The ``kubus`` command line, through click's runner (serving itself is tested over HTTP in
``tests/integration/test_slicer_http_server.py``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubus import __version__
from kubus.server.cli import main


def test_version() -> None:
    result = CliRunner().invoke(main, ["version"])
    assert result.exit_code == 0
    assert result.output.startswith(f"kubus {__version__} (Cubes 1.1 Slicer API version 2")
    assert CliRunner().invoke(main, ["--version"]).output.strip().endswith(__version__)


def test_every_command_has_help_with_examples() -> None:
    for args in (["--help"], ["serve", "--help"], ["model", "validate", "--help"],
                 ["version", "--help"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert "Example" in result.output


def test_validate_hello_world(hello_world_dir: Path) -> None:
    result = CliRunner().invoke(main, ["model", "validate", "--defaults",
                                       str(hello_world_dir / "model.json")])
    assert result.exit_code == 0, result.output
    assert "model can be used" in result.output
    assert "DEFAULT in dimension 'year'" in result.output
    quiet = CliRunner().invoke(main, ["model", "validate", str(hello_world_dir / "model.json")])
    assert "DEFAULT in" not in quiet.output


def test_validate_exits_1_on_errors(tmp_path: Path) -> None:
    model = tmp_path / "model.json"
    model.write_text(json.dumps({"cubes": [{"name": "c", "aggregates": [
        {"name": "x", "function": "bogus", "measure": "m"}], "measures": ["m"]}]}))
    result = CliRunner().invoke(main, ["model", "validate", str(model)])
    assert result.exit_code == 1
    assert "ERROR" in result.output
    assert "model can not be used" in result.output


def test_validate_unreadable_file(tmp_path: Path) -> None:
    model = tmp_path / "broken.json"
    model.write_text('{"cubes": [')
    result = CliRunner().invoke(main, ["model", "validate", str(model)])
    assert result.exit_code == 1
    assert "JSON syntax error" in result.output
    assert "Traceback" not in result.output


def test_serve_without_a_model_is_a_usage_error(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("KUBUS_")]:
        monkeypatch.delenv(name)
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2
    assert "no model to serve" in result.output


def test_serve_reports_every_settings_problem(tmp_path: Path) -> None:
    ini = tmp_path / "slicer.ini"
    ini.write_text("[server]\nport: abc\nprettyprint: maybe\n")
    result = CliRunner().invoke(main, ["serve", str(ini)])
    assert result.exit_code == 2
    assert "[server] port: expected an integer" in result.output
    assert "[server] prettyprint" in result.output
    both = CliRunner().invoke(main, ["serve", str(ini), "--config", str(ini)])
    assert both.exit_code == 2
