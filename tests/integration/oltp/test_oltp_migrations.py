"""``kubus oltp upgrade``: creates the schema, is a no-op the second time, and the migrated
schema is exactly :data:`kubus.oltp.schema.metadata` (what ``alembic check`` verifies)."""

from __future__ import annotations

import configparser
import fnmatch
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from kubus.oltp.migrate import MIGRATIONS_DIR, current_revision, head_revision, schema_diff
from kubus.oltp.numbering import DEFAULT_RANGES
from kubus.server.cli import main

pytest_plugins = ["oltp_support"]

REPO = Path(__file__).resolve().parents[3]


def test_upgrade_twice_and_no_drift(empty_url: str) -> None:
    assert current_revision(empty_url) is None
    first = CliRunner().invoke(main, ["oltp", "upgrade", "--url", empty_url])
    assert first.exit_code == 0, first.output
    assert "upgraded from revision (empty) to" in first.output
    second = CliRunner().invoke(main, ["oltp", "upgrade", "--url", empty_url])
    assert second.exit_code == 0, second.output
    assert "is up to date" in second.output
    assert current_revision(empty_url) == head_revision()
    assert schema_diff(empty_url) == []
    engine = sa.create_engine(empty_url)
    try:
        with engine.connect() as conn:
            ranges = dict(conn.execute(sa.text(
                "SELECT object_type, next_number FROM number_range")).all())
            counter = conn.execute(sa.text("SELECT last_seq FROM change_log_counter")).all()
    finally:
        engine.dispose()
    assert ranges == {name: first for name, (first, _) in DEFAULT_RANGES.items()}
    assert [tuple(r) for r in counter] == [(0,)]


def test_upgrade_default_url_is_in_data_dir(tmp_path: Path) -> None:
    runner = CliRunner(env={"KUBUS_DATA_DIR": str(tmp_path / "var")})
    result = runner.invoke(main, ["oltp", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "var" / "oltp.sqlite").is_file()


def test_bad_url_is_a_clean_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["oltp", "upgrade", "--url",
                                       f"sqlite:///{tmp_path}/missing/dir/x.sqlite"])
    assert result.exit_code == 1
    assert "error: cannot upgrade" in result.output
    assert "Traceback" not in result.output


def test_migration_files_are_package_data() -> None:
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    globs = [g.strip() for g in config["options.package_data"]["kubus.oltp"].split(",")]
    base = MIGRATIONS_DIR.parent
    files = [p.relative_to(base).as_posix() for p in MIGRATIONS_DIR.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts]
    assert any(f.startswith("migrations/versions/0001") for f in files)
    unpackaged = [f for f in files if not any(fnmatch.fnmatch(f, g) for g in globs)]
    assert unpackaged == []
