"""Pages show times in the zone their user chose (UTC unless they chose another).

The API keeps answering in UTC whoever asks: its format does not change with a
person's display choice.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone

from escalator_site.models import DEFAULT_TIME_ZONE, UserPreference, validate_time_zone


def time_zone_of(user) -> str:
    if not user or not user.is_authenticated:
        return DEFAULT_TIME_ZONE
    cached = getattr(user, "_escalator_time_zone", None)
    if cached is None:
        cached = (UserPreference.objects.filter(user=user).values_list("time_zone", flat=True)
                  .first() or DEFAULT_TIME_ZONE)
        user._escalator_time_zone = cached
    return cached


def set_time_zone(user, name: str) -> UserPreference:
    """Keep the user's choice (validated: an unknown name raises ValidationError)."""
    try:
        validate_time_zone(name)  # first: a blank name gets this message too
    except ValidationError as exc:
        raise ValidationError({"time_zone": exc.messages}) from exc
    preference = UserPreference.objects.filter(user=user).first() or UserPreference(user=user)
    preference.time_zone = name
    preference.full_clean()
    preference.save()
    user._escalator_time_zone = name
    return preference


class UserTimeZoneMiddleware:
    """Activates the user's zone for the request (after authentication)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            timezone.deactivate()
            return self.get_response(request)
        name = time_zone_of(getattr(request, "user", None))
        try:
            timezone.activate(ZoneInfo(name))
        except (KeyError, ValueError):  # a zone removed from the system since it was chosen
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def time_zone_context(request) -> dict:
    """Template context: the zone the page's times are in, for naming it (and for scripts)."""
    return {"time_zone_name": timezone.get_current_timezone_name()}
