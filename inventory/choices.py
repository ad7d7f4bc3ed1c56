"""Choices of the inventory's fields, shared by models, filters and forms."""

from __future__ import annotations

from django.db import models


class ServiceStatus(models.TextChoices):
    ENABLED = "enabled", "Enabled"
    DISABLED = "disabled", "Disabled"


class ServiceState(models.TextChoices):
    UP = "up", "Up"
    DOWN = "down", "Down"


class GroupPolicy(models.TextChoices):
    AFFINITY = "affinity", "Affinity"
    ANTI_AFFINITY = "anti-affinity", "Anti-affinity"
    SOFT_AFFINITY = "soft-affinity", "Soft affinity"
    SOFT_ANTI_AFFINITY = "soft-anti-affinity", "Soft anti-affinity"


class HaModel(models.TextChoices):
    ACTIVE_STANDBY = "active-standby", "Active-standby"
    N_PLUS_M = "n+m", "N+M pool"
    NONE = "none", "None"


class MemberRole(models.TextChoices):
    ACTIVE = "active", "Active"
    STANDBY = "standby", "Standby"
    MEMBER = "member", "Pool member"


class ServerStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    SHUTOFF = "SHUTOFF", "Shut off"
    ERROR = "ERROR", "Error"
    MIGRATING = "MIGRATING", "Migrating"
    RESIZE = "RESIZE", "Resize"
    VERIFY_RESIZE = "VERIFY_RESIZE", "Verify resize"
    REBUILD = "REBUILD", "Rebuild"
    BUILD = "BUILD", "Build"
    REBOOT = "REBOOT", "Reboot"
    HARD_REBOOT = "HARD_REBOOT", "Hard reboot"
    PAUSED = "PAUSED", "Paused"
    SUSPENDED = "SUSPENDED", "Suspended"
    UNKNOWN = "UNKNOWN", "Unknown"
