"""Validation of a Cubes-format model description, reporting every problem at once.

:func:`validate_model` checks the raw JSON (after :func:`kubus.config.model_files.read_model`)
against the Cubes 1.1 schema (``additionalProperties: false``, slicer-api.md §3.1-§3.6) and
against what the loader and the SQL backend need: references between objects, functions,
joins, mappings and expressions. It never stops at the first problem. Each :class:`Problem`
says where it is twice: Cubes-style (scope, object, property) for ``slicer model validate``, and
as a ``path`` into the JSON such as ``cubes[0].aggregates[2].function``.

Severities: ``error`` (the model can not be used), ``warning`` (it can, but something is
probably wrong or ignored) and ``default`` (a default is applied; Cubes' three notes of §4.2).

Example::

    problems = validate_model(read_model("model.json"))
    print(format_report(problems, show_defaults=True, show_warnings=True))

The checks live in modules named after the objects they check: :mod:`.model`,
:mod:`.dimensions`, :mod:`.cubes` and :mod:`.mappings` (mappings and joins), all reporting
through :mod:`.checker`. :mod:`.keys` lists what each object accepts; :mod:`.problems`
defines :class:`Problem` and the report.
"""

from __future__ import annotations

from kubus.model.validation.model import validate_model
from kubus.model.validation.problems import Problem, format_report, has_errors

__all__ = ["Problem", "format_report", "has_errors", "validate_model"]
