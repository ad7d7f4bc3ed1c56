"""API pagination whose numbers cannot reach the database out of range."""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination

# Past the end of any table, far inside int64 (an offset above int64 was a 500).
MAX_OFFSET = 10**12


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """``?limit=`` is capped at ``max_limit``; ``?offset=`` past every row gives an empty page."""

    max_limit = 1000

    def get_offset(self, request):
        return min(super().get_offset(request), MAX_OFFSET)
