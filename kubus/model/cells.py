"""Cells and cuts: the slice of a cube a query looks at (slicer-api.md §2).

A cut names its dimension and hierarchy by *name*; :func:`kubus.model.query` resolves them
against a cube. Path elements are strings as parsed (``None`` stands for ``__null__``, SQL NULL);
relative time members become ints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

PathElement: TypeAlias = str | int | None
Path: TypeAlias = tuple[PathElement, ...]

NULL_PATH_ELEMENT = "__null__"


@dataclass(frozen=True)
class PointCut:
    dimension: str
    path: Path
    hierarchy: str | None = None
    invert: bool = False
    hidden: bool = False
    type: Literal["point"] = "point"

    @property
    def level_depth(self) -> int:
        return len(self.path)


@dataclass(frozen=True)
class RangeCut:
    dimension: str
    from_path: Path | None
    to_path: Path | None
    hierarchy: str | None = None
    invert: bool = False
    hidden: bool = False
    type: Literal["range"] = "range"

    @property
    def level_depth(self) -> int:
        return max(len(self.from_path or ()), len(self.to_path or ()))


@dataclass(frozen=True)
class SetCut:
    dimension: str
    paths: tuple[Path, ...]
    hierarchy: str | None = None
    invert: bool = False
    hidden: bool = False
    type: Literal["set"] = "set"

    @property
    def level_depth(self) -> int:
        return max((len(p) for p in self.paths), default=0)


Cut: TypeAlias = PointCut | RangeCut | SetCut


@dataclass(frozen=True)
class Cell:
    """A conjunction of cuts; the empty cell is the whole cube."""

    cuts: tuple[Cut, ...] = ()

    def __and__(self, other: Cell) -> Cell:
        return Cell(self.cuts + other.cuts)

    def cuts_for(self, dimension: str) -> tuple[Cut, ...]:
        return tuple(c for c in self.cuts if c.dimension == dimension)

    def to_list(self, *, hide_hidden: bool = False) -> list[dict[str, Any]]:
        from kubus.model.cut_grammar import cut_to_dict

        return [cut_to_dict(c) for c in self.cuts if not (hide_hidden and c.hidden)]
