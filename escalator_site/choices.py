"""Django choices derived from the domain's enums: each value and label typed once."""

from __future__ import annotations

from django.db import models

from domain.choice import Choice


def text_choices(enum: type[Choice]) -> type[models.TextChoices]:
    """Django's TextChoices with the members, values and labels of ``enum``."""
    members = [(m.name, (m.value, m.label)) for m in enum]
    return models.TextChoices(enum.__name__, members)  # type: ignore[return-value]
