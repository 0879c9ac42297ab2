"""Output formats, registered by name: a new format is one small module in this package.

A module here defines a function ``Report -> bytes`` and registers it::

    @register("html", label="Web page (single file)", extension="html",
              media_type="text/html; charset=utf-8")
    def render(report: Report) -> bytes: ...

Every module of the package (not starting with ``_``) is imported on first use, so the
registry always lists every format installed.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable
from dataclasses import dataclass

from journey.engine.charts import MeasureChart
from journey.engine.reports.model import Report

__all__ = ["Renderer", "get", "names", "register", "render", "renderers"]

RenderFn = Callable[[Report], bytes]


@dataclass(frozen=True)
class Renderer:
    name: str
    label: str
    extension: str
    media_type: str
    render: RenderFn
    draws: Callable[[MeasureChart], object] | None = None
    """How the format draws each chart (cached by its input), or None when it draws none:
    a caller may draw them first, chart by chart, to show progress."""

    def filename(self, report: Report) -> str:
        return f"{report.file_stem()}.{self.extension}"


_REGISTRY: dict[str, Renderer] = {}
_LOADED = False
_LOCK = threading.Lock()


def register(
    name: str, *, label: str, extension: str, media_type: str,
    draws: Callable[[MeasureChart], object] | None = None,
) -> Callable[[RenderFn], RenderFn]:
    """Register ``render`` as the format ``name`` (a second registration of a name is an
    error); ``draws`` is how it draws each chart, when it draws them."""

    def decorate(fn: RenderFn) -> RenderFn:
        existing = _REGISTRY.get(name)
        if existing is not None and existing.render is not fn:
            raise ValueError(f"a renderer for {name!r} is already registered")
        _REGISTRY[name] = Renderer(name, label, extension, media_type, fn, draws)
        return fn

    return decorate


def _load() -> None:
    global _LOADED
    with _LOCK:
        if _LOADED:
            return
        for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
            if not module.name.startswith("_"):
                importlib.import_module(f"{__name__}.{module.name}")
        _LOADED = True


def renderers() -> list[Renderer]:
    """Every registered format, in a stable order (PDF first: it is the board pack)."""
    _load()
    order = {"pdf": 0, "docx": 1, "html": 2, "xlsx": 3, "csv": 4}
    return sorted(_REGISTRY.values(), key=lambda r: (order.get(r.name, 99), r.name))


def names() -> list[str]:
    return [r.name for r in renderers()]


def get(name: str) -> Renderer:
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a report format: choose one of {', '.join(names())}") from None


def render(report: Report, name: str) -> bytes:
    """The report as a file in format ``name``."""
    return get(name).render(report)
