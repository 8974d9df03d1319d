"""The adapters by name: ``email``, ``calls``, ``faxes``, ``letters``, ``web-forms``,
``web-orders``, ``chats``.

A registry is a plain object passed to whoever needs it (no module-level state to mutate);
:func:`default_registry` builds one with every shipped adapter. Another adapter is one more
object with the :class:`~kubus.channels.base.Adapter` shape. Example::

    registry = default_registry()
    registry.get("calls").channel        # "phone"
    registry.names()                      # ("calls", "chats", "email", ...)
"""

from __future__ import annotations

from collections.abc import Iterable

from kubus.channels.base import Adapter
from kubus.channels.calls import CallAdapter
from kubus.channels.emails import EmailAdapter
from kubus.channels.paper import FaxAdapter, LetterAdapter
from kubus.channels.web import ChatAdapter, WebFormAdapter, WebOrderAdapter

__all__ = ["AdapterRegistry", "UnknownAdapter", "default_registry"]


class UnknownAdapter(KeyError):
    """No adapter of that name."""


class AdapterRegistry:
    """Adapters keyed by their ``name``."""

    def __init__(self, adapters: Iterable[Adapter] = ()) -> None:
        self._adapters: dict[str, Adapter] = {}
        for adapter in adapters:
            self.register(adapter)

    def register(self, adapter: Adapter) -> None:
        if adapter.name in self._adapters:
            raise ValueError(f"an adapter named {adapter.name!r} is registered already")
        self._adapters[adapter.name] = adapter

    def get(self, name: str) -> Adapter:
        try:
            return self._adapters[name]
        except KeyError:
            raise UnknownAdapter(f"no channel adapter {name!r}; known: "
                                 f"{', '.join(self.names())}") from None

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._adapters))


def default_registry() -> AdapterRegistry:
    """A registry with every shipped adapter."""
    return AdapterRegistry([EmailAdapter(), CallAdapter(), FaxAdapter(), LetterAdapter(),
                            WebFormAdapter(), WebOrderAdapter(), ChatAdapter()])
