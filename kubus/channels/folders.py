"""Reading inputs from files and folders, and polling a drop folder (a scheduled job).

:func:`read_path` turns a file or folder into raw messages: for e-mail a maildir, an mbox
file, ``.eml`` files; for the other adapters CSV/JSON files, each split by the adapter. A file
the adapter cannot split at all becomes one message that fails to parse, so it is quarantined
with the reason instead of being skipped.

:func:`poll_folder` ingests what arrived in a drop folder and then moves each file to
``processed/`` beside it (in a maildir: from ``new/`` to ``cur/`` with the *seen* flag, as mail
clients do), so the next poll does not read it again. Files are moved only after their
messages are committed; a crash in between re-reads them, and deduplication by external id
makes that harmless. The job runner calls it on its schedule. Example::

    result = poll_folder(service, "email", Path("/var/spool/kubus/mail"))
    result.files, result.report.stored
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kubus.channels.base import BatchError, RawItem
from kubus.channels.emails import read_mail_folder
from kubus.channels.ingest import IngestReport, IngestService

__all__ = ["PROCESSED", "SUFFIXES", "PollResult", "poll_folder", "read_path"]

PROCESSED = "processed"
#: File name endings each adapter reads from a folder.
SUFFIXES: dict[str, tuple[str, ...]] = {
    "email": (".eml", ".mbox"), "calls": (".csv", ".json"), "faxes": (".json",),
    "letters": (".json",), "web-forms": (".json",), "web-orders": (".json",),
    "chats": (".json",),
}


@dataclass(frozen=True)
class PollResult:
    """The files a poll read (and moved) and what their messages became."""

    files: tuple[str, ...]
    report: IngestReport


def _is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "new").is_dir() and (path / "cur").is_dir()


def _files(adapter_name: str, folder: Path) -> list[Path]:
    suffixes = SUFFIXES.get(adapter_name, (".json",))
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in suffixes)


def _file_items(service: IngestService, adapter_name: str, path: Path) -> list[RawItem]:
    if adapter_name == "email":
        return read_mail_folder(path)
    data = path.read_bytes()
    try:
        return service.registry.get(adapter_name).split(data, str(path))
    except BatchError:
        # Parsing the whole file as one message fails with the reason: quarantined, not lost.
        return [RawItem(data, str(path))]


def read_path(service: IngestService, adapter_name: str, path: Path) -> list[RawItem]:
    """Every message in the file or folder ``path`` (see the module docstring)."""
    service.registry.get(adapter_name)  # an unknown adapter fails before any file is read
    if adapter_name == "email" and (_is_maildir(path) or path.is_file()):
        return read_mail_folder(path)
    if path.is_dir():
        return [item for p in _files(adapter_name, path)
                for item in _file_items(service, adapter_name, p)]
    return _file_items(service, adapter_name, path)


def poll_folder(service: IngestService, adapter_name: str, folder: Path,
                progress: Callable[[int], None] | None = None) -> PollResult:
    """Ingest the new files of ``folder`` and move them out of the way."""
    service.registry.get(adapter_name)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    if _is_maildir(folder):
        files = sorted(p for p in (folder / "new").iterdir() if p.is_file())
        items = [RawItem(p.read_bytes(), str(p)) for p in files]
    else:
        files = _files(adapter_name, folder)
        items = [item for p in files for item in _file_items(service, adapter_name, p)]
    report = service.ingest_items(adapter_name, items, progress)
    for path in files:
        _mark_done(folder, path)
    return PollResult(tuple(str(p) for p in files), report)


def _mark_done(folder: Path, path: Path) -> None:
    if path.parent.name == "new" and path.parent.parent == folder:
        # Maildir: seen messages live in cur/ with the info suffix ":2,S".
        os.replace(path, folder / "cur" / f"{path.name.split(':')[0]}:2,S")
        return
    target_dir = folder / PROCESSED
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    n = 1
    while target.exists():  # the same name delivered twice: keep both
        target = target_dir / f"{path.stem}.{n}{path.suffix}"
        n += 1
    os.replace(path, target)
