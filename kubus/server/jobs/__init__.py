"""The job runner: scheduled and on-demand jobs with locks and run records (issue #5).

* :mod:`.catalog`: the jobs that exist — name → function ``(context, **params) -> rows`` with
  typed parameters — and the :class:`~.catalog.JobContext` a run gets (engines, business date).
* :mod:`.schedule`: the cron table (``kubus/config/jobs.cron``) checked against the catalog
  and turned into APScheduler triggers (crontab's day-of-week numbering and day rule).
* :mod:`.store`: the ``job_run`` and ``job_lock`` tables (SQLite, DuckDB, PostgreSQL): run
  records, and the lock that keeps one job from running twice at once across processes.
* :mod:`.runner`: :class:`~.runner.JobRunner`, APScheduler's ``BackgroundScheduler`` wired to
  the above; :func:`~.runner.runner_from_settings` builds one from the settings.

Imports: everything (``server`` wires the layers together).
"""

from kubus.server.jobs.catalog import JOBS, JobContext, JobParam, JobSpec
from kubus.server.jobs.runner import JobBusy, JobRunner, UnknownJob
from kubus.server.jobs.store import JobStore, RunRecord

__all__ = ["JOBS", "JobBusy", "JobContext", "JobParam", "JobRunner", "JobSpec", "JobStore",
           "RunRecord", "UnknownJob"]
