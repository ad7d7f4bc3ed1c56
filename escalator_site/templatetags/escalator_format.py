"""Template filters for figures an operator reads: durations and rounded seconds."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def duration(seconds: float | int | None) -> str:
    """``42 s``, ``3 min 20 s``, ``1 h 5 min``: an elapsed time as a person reads it."""
    if seconds is None:
        return "—"
    s = max(0, round(float(seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {(s % 3600) // 60} min"


@register.simple_tag
def query_with(request, **changes) -> str:
    """The page's query string with some parameters set (None: removed), e.g. page size links."""
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return params.urlencode()
