"""Choices of the inventory's fields, shared by models, filters and forms.

Derived from the domain's enums (``domain.snapshot``): values and labels are
written once, there.
"""

from __future__ import annotations

from domain import snapshot
from escalator_site.choices import text_choices

ServiceStatus = text_choices(snapshot.ServiceStatus)
ServiceState = text_choices(snapshot.ServiceState)
GroupPolicy = text_choices(snapshot.GroupPolicy)
HaModel = text_choices(snapshot.HaModel)
MemberRole = text_choices(snapshot.MemberRole)
ServerStatus = text_choices(snapshot.ServerStatus)
InputSource = text_choices(snapshot.InputSource)
MigrationType = text_choices(snapshot.MigrationType)
