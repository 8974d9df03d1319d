"""The cubes of a workspace, built from one or more raw models.

Dimensions are shared by all models of a namespace and by the default namespace (§3.1), so a
cube of one model may use a dimension described in another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubus.model.errors import ModelError, NoSuchCubeError
from kubus.model.loading import build_cube
from kubus.model.metadata import Cube


@dataclass(frozen=True)
class ModelSpec:
    """One raw model with where its cubes live: ``namespace`` prefixes their public names."""

    raw: Mapping[str, Any]
    namespace: str | None = None
    store: str | None = None
    source: str = "<model>"


def _dimension_objects(raw: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for dim in raw.get("dimensions") or ():
        # Model-level dimension strings crash 1.1 (defect 22); a string means a bare name.
        yield {"name": dim} if isinstance(dim, str) else dim


@dataclass(frozen=True)
class Catalog:
    cubes: tuple[Cube, ...]
    info: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_models(cls, specs: Sequence[ModelSpec]) -> Catalog:
        """Build every cube; all failures are collected into one :class:`ModelError`."""
        shared: dict[str | None, dict[str, Mapping[str, Any]]] = {}
        for spec in specs:
            scope = shared.setdefault(spec.namespace, {})
            for dim in _dimension_objects(spec.raw):
                scope.setdefault(str(dim.get("name")), dim)
        cubes: list[Cube] = []
        problems: list[dict[str, Any]] = []
        seen: set[str] = set()
        for spec in specs:
            visible = {**shared.get(None, {}), **shared.get(spec.namespace, {})}
            for raw_cube in spec.raw.get("cubes") or ():
                try:
                    cube = build_cube(raw_cube, visible, model=spec.raw,
                                      namespace=spec.namespace, store=spec.store)
                except (ModelError, KeyError, TypeError, ValueError) as exc:
                    problems.append({"source": spec.source, "cube": raw_cube.get("name"),
                                     "message": str(exc)})
                    continue
                if cube.public_name in seen:
                    problems.append({"source": spec.source, "cube": cube.public_name,
                                     "message": f"Duplicate cube '{cube.public_name}'"})
                    continue
                seen.add(cube.public_name)
                cubes.append(cube)
        if problems:
            lines = "; ".join(f"{p['source']}: cube '{p['cube']}': {p['message']}"
                              for p in problems)
            raise ModelError(f"Invalid model: {lines}", tuple(problems))
        return cls(cubes=tuple(cubes))

    def cube(self, name: str) -> Cube:
        for cube in self.cubes:
            if cube.public_name == name:
                return cube
        raise NoSuchCubeError(name)

    @property
    def cube_names(self) -> tuple[str, ...]:
        return tuple(c.public_name for c in self.cubes)
