"""Site-wide pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from inventory.services import CloudNotFound, cloud_overview


@login_required
def dashboard(request):
    try:
        overview = cloud_overview()
    except CloudNotFound as exc:
        overview = {"missing": str(exc)}
    return render(request, "dashboard.html", {"overview": overview})
