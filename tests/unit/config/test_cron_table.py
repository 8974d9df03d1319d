"""The cron table reader (format of ``docs/jobs.md``) and the ``[scheduler]`` settings."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from kubus.config.cron_table import (
    DEFAULT_CRON_FILE,
    CronEntry,
    CronTableError,
    parse_cron_table,
    parse_params,
    read_cron_table,
)
from kubus.config.settings import SchedulerSettings, SettingsError, load_settings

SETTINGS_DOC = Path(__file__).resolve().parents[3] / "docs" / "settings.md"

TABLE = """\
# comment
   # indented comment

0 * * * *   backorder dry_run=false   # hourly
CRON_TZ=Europe/Berlin
30 6 * * 1-5 etl-delta source=legacy note="two words"
@weekly rfm
CRON_TZ=UTC
*/5 * * * * poll_email
"""


def test_entries_with_line_numbers_zones_and_params() -> None:
    table = parse_cron_table(TABLE, "jobs.cron")
    assert table.entries == (
        CronEntry("jobs.cron", 4, "0 * * * *", "backorder", (("dry_run", "false"),), None),
        CronEntry("jobs.cron", 6, "30 6 * * 1-5", "etl-delta",
                  (("source", "legacy"), ("note", "two words")), "Europe/Berlin"),
        CronEntry("jobs.cron", 7, "0 0 * * 0", "rfm", (), "Europe/Berlin"),
        CronEntry("jobs.cron", 9, "*/5 * * * *", "poll_email", (), "UTC"),
    )
    rfm = table.entry("rfm")
    assert rfm is not None and rfm.where == "jobs.cron:7"
    assert table.entry("missing") is None


def test_the_shipped_table() -> None:
    table = read_cron_table(DEFAULT_CRON_FILE)
    assert [(e.job, e.schedule, e.params, e.timezone) for e in table.entries] == [
        ("backorder", "0 * * * *", (("dry_run", "false"),), "Europe/Berlin"),
        ("etl-delta", "* * * * *", (), "Europe/Berlin"),
        ("stock-snapshot", "15 0 * * *", (("days", "31"),), "Europe/Berlin"),
        ("rfm", "30 3 * * 1", (), "Europe/Berlin")]


def test_every_takes_an_interval_for_jobs_more_frequent_than_a_minute() -> None:
    table = parse_cron_table("@every 30s etl-delta full=false\n@EVERY 2h rfm\n")
    assert [(e.schedule, e.job, e.params) for e in table.entries] == [
        ("@every 30s", "etl-delta", (("full", "false"),)), ("@every 2h", "rfm", ())]
    for bad in ("@every etl-delta", "@every 0s etl-delta", "@every 5 etl-delta",
                "@every 1d etl-delta", "@every 5s"):
        with pytest.raises(CronTableError) as info:
            parse_cron_table(bad + "\n", "jobs.cron")
        assert info.value.problems[0].startswith("jobs.cron:1: @every needs an interval"), bad


def test_every_bad_line_is_reported_with_its_number() -> None:
    text = ("0 * * * * backorder\n"          # 1 fine
            "0 * * * *\n"                    # 2 no job
            "0 * * backorder\n"              # 3 too few fields
            "MAILTO=ops@example.com\n"       # 4 not supported
            "CRON_TZ=Mars/Olympus\n"         # 5 unknown zone
            "@reboot backorder\n"            # 6 no meaning here
            "0 * * * * Backorder\n"          # 7 bad name
            "0 * * * * rfm key value=1\n"    # 8 not key=value
            "0 * * * * rfm2 a=1 a=2\n"       # 9 repeated key
            "0 * * * * backorder\n"          # 10 twice
            "0 * * * * x 'unclosed\n")       # 11 quoting
    with pytest.raises(CronTableError) as info:
        parse_cron_table(text, "jobs.cron")
    numbers = [int(re.match(r"jobs\.cron:(\d+): ", p).group(1))  # type: ignore[union-attr]
               for p in info.value.problems]
    assert numbers == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    problems = dict(zip(numbers, info.value.problems, strict=True))
    assert problems[2].endswith("a job name must follow the five schedule fields")
    assert "expected five schedule fields" in problems[3]
    assert "only CRON_TZ=<zone>" in problems[4]
    assert "unknown time zone 'Mars/Olympus'" in problems[5]
    assert "unknown nickname '@reboot'" in problems[6]
    assert "job name 'Backorder'" in problems[7]
    assert "expected key=value, got 'key'" in problems[8]
    assert "parameter 'a' is given twice" in problems[9]
    assert "already scheduled on line 1" in problems[10]
    assert "cannot split the line" in problems[11]
    assert str(info.value).count("\n") == 9


def test_an_unreadable_file_is_a_cron_table_error(tmp_path: Path) -> None:
    with pytest.raises(CronTableError, match="cannot read the cron table"):
        read_cron_table(tmp_path / "missing.cron")


def test_parse_params() -> None:
    assert parse_params(["a=1", "b=", "c=x=y"]) == ((("a", "1"), ("b", ""), ("c", "x=y")), [])
    assert parse_params(["=1", "A=2"])[1] == [
        "parameter name '': expected lower-case letters, digits and _ (starting with a letter "
        "or _)",
        "parameter name 'A': expected lower-case letters, digits and _ (starting with a "
        "letter or _)"]


# -- [scheduler] settings ------------------------------------------------------------------------


def test_every_scheduler_setting_is_documented() -> None:
    doc = SETTINGS_DOC.read_text(encoding="utf-8")
    missing = [f.name for f in dataclasses.fields(SchedulerSettings)
               if f"`scheduler.{f.name}`" not in doc
               or f"`KUBUS_SCHEDULER_{f.name.upper()}`" not in doc]
    assert not missing, f"document these in docs/settings.md: {missing}"
    assert "`scheduler`" in doc


def test_scheduler_defaults(tmp_path: Path) -> None:
    settings = load_settings(None, environ={"KUBUS_DATA_DIR": str(tmp_path)})
    assert settings.scheduler == SchedulerSettings()
    assert settings.jobs_store_url == f"sqlite:///{tmp_path.absolute() / 'jobs.sqlite'}"


def test_the_job_store_lives_with_the_oltp_database(tmp_path: Path) -> None:
    def store(**environ: str) -> str:
        return load_settings(None, environ={"KUBUS_DATA_DIR": str(tmp_path), **environ}
                             ).jobs_store_url

    assert store(KUBUS_OLTP_URL=f"sqlite:///{tmp_path / 'erp' / 'erp1.sqlite'}") == (
        f"sqlite:///{tmp_path / 'erp' / 'jobs.sqlite'}")
    assert store(KUBUS_OLTP_URL="postgresql+psycopg://kubus@db/erp1") == (
        "postgresql+psycopg://kubus@db/erp1")
    assert store(KUBUS_OLTP_URL="sqlite://") == f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    assert store(KUBUS_OLTP_URL="postgresql+psycopg://kubus@db/erp1",
                 KUBUS_SCHEDULER_STORE_URL="duckdb:////srv/jobs.duckdb") == (
        "duckdb:////srv/jobs.duckdb")


def test_scheduler_from_toml_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "kubus.toml"
    config.write_text('[scheduler]\nenabled = false\ncron_file = "ops/jobs.cron"\n'
                      'timezone = "Europe/Berlin"\nstore_url = "sqlite:///var/jobs.db"\n'
                      "misfire_grace_time = 60\n", encoding="utf-8")
    settings = load_settings(config, environ={"KUBUS_SCHEDULER_WORKERS": "2",
                                              "KUBUS_SCHEDULER_LOCK_TIMEOUT": "30.5"})
    assert settings.scheduler == SchedulerSettings(
        enabled=False, cron_file=tmp_path / "ops" / "jobs.cron", timezone="Europe/Berlin",
        store_url=f"sqlite:///{tmp_path / 'var' / 'jobs.db'}", misfire_grace_time=60.0,
        lock_timeout=30.5, workers=2)
    assert settings.jobs_store_url == settings.scheduler.store_url


def test_bad_scheduler_settings_are_reported_together() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(None, environ={"KUBUS_SCHEDULER_WORKERS": "0",
                                     "KUBUS_SCHEDULER_TIMEZONE": "Nowhere",
                                     "KUBUS_SCHEDULER_ENABLE": "yes"})
    text = "\n".join(info.value.problems)
    assert "KUBUS_SCHEDULER_WORKERS: expected an integer of at least 1" in text
    assert "KUBUS_SCHEDULER_TIMEZONE: expected an IANA time zone name" in text
    assert "KUBUS_SCHEDULER_ENABLE: unknown key (did you mean 'enabled'?)" in text
