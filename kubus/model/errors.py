"""Typed errors of the cube layer.

Every error carries a machine code (``error_type``), a human message and optional extra keys.
The server maps them to HTTP once, by class (``kubus.server.slicer.errors``):

* :class:`UserError` and subclasses are safe to show: 404 when ``error_type`` is
  ``missing_object``, else 400, with the flat Cubes body
  ``{"error": error_type, "message": ..., "hint"?: ..., **extra}``.
* :class:`ModelError` and other :class:`InternalError` are logged and answered with a generic 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class KubusError(Exception):
    """Base of all errors raised deliberately by Kubus."""

    error_type: str = "internal_server_error"

    def __init__(self, message: str, *, hint: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.extra: dict[str, Any] = dict(extra)

    def to_dict(self) -> dict[str, Any]:
        """The flat Cubes error body (shape B of slicer-api.md §1.13)."""
        body: dict[str, Any] = {"error": self.error_type, "message": self.message}
        if self.hint:
            body["hint"] = self.hint
        body.update(self.extra)
        return body


class UserError(KubusError):
    """A problem with the request: shown to the client as a 4xx."""

    error_type = "unknown_user_error"


class ArgumentError(UserError):
    """Malformed cut, drilldown, order, paging or another argument."""


class NoSuchAttributeError(UserError):
    """Unknown attribute, measure, aggregate or detail."""


class HierarchyError(UserError):
    """Unknown level, path longer than the hierarchy, drill too deep."""

    error_type = "hierarchy"


class MissingObjectError(UserError):
    """An object named in the request does not exist (answered with 404)."""

    error_type = "missing_object"

    def __init__(self, message: str, *, obj: str | None, object_type: str,
                 hint: str | None = None) -> None:
        super().__init__(message, hint=hint, object=obj, object_type=object_type)


class NoSuchCubeError(MissingObjectError):
    def __init__(self, name: str) -> None:
        super().__init__(f"Unknown cube '{name}'", obj=name, object_type="cube")


class NoSuchDimensionError(MissingObjectError):
    def __init__(self, name: str, cube: str | None = None) -> None:
        owner = f"cube '{cube}'" if cube else "model"
        # ``object`` is null in 1.1's body (COMPAT); the name is in the message.
        super().__init__(f"{owner} has no dimension '{name}'", obj=None,
                         object_type="dimension")


class NoSuchHierarchyError(MissingObjectError):
    """Unknown hierarchy: 1.1 answers 500 (defect 11); we answer 404 like a dimension."""

    def __init__(self, name: str, dimension: str) -> None:
        super().__init__(f"Dimension '{dimension}' has no hierarchy '{name}'", obj=name,
                         object_type="hierarchy")


class QueryTimeoutError(UserError):
    """A query ran longer than the configured statement timeout."""

    error_type = "query_timeout"


class InternalError(KubusError):
    """Not the client's fault: logged in full, answered with a generic 500."""


class ModelError(InternalError):
    """The model is invalid. ``problems`` lists every problem found, not only the first."""

    def __init__(self, message: str, problems: tuple[Mapping[str, Any], ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems
