"""Every URL of the project with the capability its view declares, for the tests that walk them."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver

from journey.web.accounts.access import PUBLIC


def _walk(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", entry


def capability_of(callback):
    """What the view says it needs (``@requires`` or ``@public``), or None when it says nothing."""
    target = getattr(callback, "view_class", callback)
    return getattr(callback, "journey_capability", None) or getattr(
        target, "journey_capability", None
    )


ALL_VIEWS = sorted(_walk(get_resolver().url_patterns), key=lambda item: item[0])
GUARDED_VIEWS = [(name, p) for name, p in ALL_VIEWS if capability_of(p.callback) != PUBLIC]
