"""The base of the domain's enums: a value and the label an operator reads."""

from __future__ import annotations

from enum import StrEnum


class Choice(StrEnum):
    """A string enum whose members carry the label an operator reads.

    Declared as ``NAME = "value", "Label"``; the Django shell derives its
    ``TextChoices`` from these (``inventory.choices``), so each is typed once.
    """

    label: str

    def __new__(cls, value: str, label: str = "") -> Choice:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value
        return member
