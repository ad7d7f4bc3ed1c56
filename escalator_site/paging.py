"""List pages in pages of a size the user picks (25, 50 or 100 rows)."""

from __future__ import annotations

from django.core.paginator import Page, Paginator

PAGE_SIZES = (25, 50, 100)


def page_of(request, rows, default_size: int = 50) -> Page:
    """The page ``?page=`` of ``rows`` at ``?per_page=`` (an unknown size: the default)."""
    try:
        size = int(request.GET.get("per_page", default_size))
    except ValueError:
        size = default_size
    size = size if size in PAGE_SIZES else default_size
    return Paginator(rows, size).get_page(request.GET.get("page"))


def query_without(request, *keys: str) -> str:
    params = request.GET.copy()
    for key in keys:
        params.pop(key, None)
    return params.urlencode()
