"""``kubus oltp``: manage the embedded transactional database (one source system).

Registered on the main command group by :mod:`kubus.server.cli`.
"""

from __future__ import annotations

import sys

import click

DEFAULT_FILE = "oltp.sqlite"


def default_url() -> str:
    """``[oltp] url`` / ``KUBUS_OLTP_URL``, else ``sqlite:///<data_dir>/oltp.sqlite``."""
    from kubus.config.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        click.secho("error: invalid settings:\n  " + "\n  ".join(exc.problems), fg="red",
                    err=True)
        sys.exit(2)
    if not settings.oltp.url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings.oltp_url


@click.group("oltp")
def oltp() -> None:
    """The transactional core: create or upgrade its database schema.

    \b
    Examples:
      kubus oltp upgrade                            # <data_dir>/oltp.sqlite
      kubus oltp upgrade --url postgresql+psycopg://kubus@db/erp1
    """


@oltp.command("upgrade")
@click.option("--url", metavar="URL", help="SQLAlchemy URL of the OLTP database (default: "
              f"sqlite:///<data_dir>/{DEFAULT_FILE}, data_dir from KUBUS_DATA_DIR or ./var).")
@click.option("--revision", default="head", show_default=True,
              help="Migrate to this Alembic revision.")
def upgrade(url: str | None, revision: str) -> None:
    """Create the OLTP schema, or upgrade it to the newest revision (a no-op when current).

    \b
    Examples:
      kubus oltp upgrade
      kubus oltp upgrade --url sqlite:///var/erp2.sqlite
    """
    import sqlalchemy as sa

    from kubus.oltp.migrate import current_revision
    from kubus.oltp.migrate import upgrade as run_upgrade

    target = url or default_url()
    shown = sa.make_url(target).render_as_string(hide_password=True)
    try:
        before = current_revision(target)
        after = run_upgrade(target, revision)
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        click.secho(f"error: cannot upgrade {shown}: {type(exc).__name__}: "
                    f"{str(exc).splitlines()[0] if str(exc) else ''}", fg="red", err=True)
        sys.exit(1)
    if before == after:
        click.echo(f"{shown} is up to date (revision {after})")
    else:
        click.echo(f"{shown} upgraded from revision {before or '(empty)'} to {after}")
