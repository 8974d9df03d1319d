"""Building Slicer responses: JSON objects, streamed arrays, JSON lines and CSV.

One :class:`Responder` per request carries what shapes every response: ``prettyprint``, the
``json_record_limit``, the ``debug`` flag and the statements the request ran. Every response
gets a ``Server-Timing`` header with the database time of the statements run before it was
built; with ``debug=true`` an object body gains a ``"debug"`` key and an array, JSON-lines or
CSV body an ``X-Kubus-Debug`` header (a JSON object) with the SQL and timings.

Arrays, JSON lines and CSV are streamed (no Content-Length) when they are large. A body that
ends within its first :data:`SMALL_BODY` characters (a page of facts, a short export) is sent
whole, with a Content-Length: one write instead of a chunk per part and a closing chunk, and
the client reads it in one go. With ``debug=true`` the rows are always read first so the header
can list every statement.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from flask import Response

from kubus.model.results import Timing
from kubus.server.slicer.encoding import (
    dumps,
    dumps_jsonable,
    iter_csv,
    iter_json_array,
    iter_json_lines,
    jsonable,
    limited,
)

log = logging.getLogger(__name__)

#: Streamed bodies that end within this many characters are sent whole (see above).
SMALL_BODY = 512 * 1024
JSON_MIMETYPE = "application/json"
JSON_LINES_MIMETYPE = "application/x-json-lines"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
DEBUG_HEADER = "X-Kubus-Debug"


def debug_info(timings: Sequence[Timing]) -> dict[str, Any]:
    """``{"statements": [{"purpose", "sql", "seconds", "rows"}], "seconds": total}``."""
    return {
        "statements": [{"purpose": t.purpose, "sql": t.sql, "seconds": round(t.seconds, 6),
                        "rows": t.rows} for t in timings],
        "seconds": round(sum(t.seconds for t in timings), 6),
    }


def server_timing(timings: Sequence[Timing]) -> str:
    millis = sum(t.seconds for t in timings) * 1000
    return f'db;dur={millis:.3f};desc="database, {len(timings)} statement(s)"'


def _primed(rows: Iterable[Any]) -> Iterator[Any]:
    """Run the statement behind a lazy iterator now, so errors get a proper status code and
    its timing makes it into the headers."""
    iterator = iter(rows)
    try:
        first = next(iterator)
    except StopIteration:
        return iter(())
    return chain((first,), iterator)


def _close(source: Iterable[Any]) -> None:
    """Close a generator early (its database connection goes back to the pool)."""
    close = getattr(source, "close", None)
    if callable(close):
        close()


def _guarded(chunks: Iterator[str], source: Iterable[Any]) -> Iterator[str]:
    """Stream ``chunks``; an error after the headers went out can only be logged."""
    try:
        yield from chunks
    except Exception:
        log.exception("Error while streaming a response; the body is truncated")
    finally:
        _close(source)


@dataclass
class Responder:
    pretty: bool = False
    debug: bool = False
    limit: int | None = None
    #: Returns the statements the request has run so far (a browser's ``timings``).
    timings: Callable[[], Sequence[Timing]] = field(default=lambda: ())

    # -- helpers -----------------------------------------------------------------------
    def _finish(self, response: Response, *, header_debug: bool) -> Response:
        timings = list(self.timings())
        response.headers["Server-Timing"] = server_timing(timings)
        if self.debug and header_debug:
            response.headers[DEBUG_HEADER] = json.dumps(debug_info(timings))
        return response

    def _stream(self, chunks: Iterator[str], source: Iterable[Any], **kwargs: Any) -> Response:
        if self.debug:  # read everything first: the debug header must list every statement
            try:
                return Response("".join(chunks), **kwargs)
            finally:
                _close(source)
        head: list[str] = []
        size = 0
        try:
            for chunk in chunks:
                head.append(chunk)
                size += len(chunk)
                if size >= SMALL_BODY:
                    break
            else:  # the whole body is small: send it in one piece
                _close(source)
                return Response("".join(head), **kwargs)
        except BaseException:
            _close(source)
            raise
        return Response(_guarded(chain(head, chunks), source), **kwargs)

    # -- JSON --------------------------------------------------------------------------
    def object(self, body: Mapping[str, Any], *, status: int = 200) -> Response:
        """A JSON object; with ``debug`` it gains a ``"debug"`` key."""
        if self.debug:
            data = jsonable(body)
            data["debug"] = debug_info(list(self.timings()))
            text = dumps(data, pretty=self.pretty)
        else:
            text = dumps_jsonable(body, pretty=self.pretty)
        response = Response(text, status=status, mimetype=JSON_MIMETYPE)
        return self._finish(response, header_debug=False)

    def value(self, body: Any) -> Response:
        """Any JSON value that is not an object (debug goes to the header)."""
        response = Response(dumps_jsonable(body, pretty=self.pretty), mimetype=JSON_MIMETYPE)
        return self._finish(response, header_debug=True)

    def records(self, rows: Iterable[Mapping[str, Any]]) -> Response:
        """A JSON array of at most ``limit`` records, streamed."""
        chunks = iter_json_array(_primed(limited(rows, self.limit)), pretty=self.pretty)
        response = self._stream(chunks, rows, mimetype=JSON_MIMETYPE)
        return self._finish(response, header_debug=True)

    def json_lines(self, rows: Iterable[Mapping[str, Any]]) -> Response:
        """One JSON object per line, every record (no limit, as 1.1)."""
        chunks = iter_json_lines(_primed(rows))
        response = self._stream(chunks, rows, mimetype=JSON_LINES_MIMETYPE)
        return self._finish(response, header_debug=True)

    def csv(self, header: Sequence[str] | None, rows: Iterable[Sequence[Any]],
            filename: str) -> Response:
        """CSV with ``header`` (``None``: no header row), every row, as an attachment."""
        chunks = iter_csv(header, _primed(rows))
        response = self._stream(chunks, rows, content_type=CSV_CONTENT_TYPE)
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        return self._finish(response, header_debug=True)

    def limit_list(self, rows: Iterable[Any]) -> list[Any]:
        """Materialise at most ``limit`` items (for arrays nested in an object)."""
        return list(limited(rows, self.limit))


__all__ = ["CSV_CONTENT_TYPE", "DEBUG_HEADER", "JSON_LINES_MIMETYPE", "JSON_MIMETYPE",
           "Responder", "debug_info", "server_timing"]
