"""What each user chose for how pages show things."""

from __future__ import annotations

from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

DEFAULT_TIME_ZONE = "UTC"


def time_zone_names() -> list[str]:
    """Every IANA zone this machine knows, UTC first: the choices a user has."""
    names = sorted(available_timezones() - {DEFAULT_TIME_ZONE})
    return [DEFAULT_TIME_ZONE, *names]


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"'{value}' is not a time zone this site knows (an IANA name such as "
                              f"Europe/Paris or UTC).", code="unknown_time_zone")


class UserPreference(models.Model):
    """One user's display choices: the time zone every page shows times in."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="preference")
    time_zone = models.CharField(max_length=64, default=DEFAULT_TIME_ZONE,
                                 validators=[validate_time_zone],
                                 help_text="IANA time zone the pages show times in.")

    def __str__(self) -> str:
        return f"{self.user}: times in {self.time_zone}"
