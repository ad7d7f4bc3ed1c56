"""The JSON Schema of inventory files (format version 2; version 1 files read as well).

Version 2 added where a server's memory figure and dirty rate came from
(``memory_source``, ``dirty_rate_source``) and the VNF manager's constraints
(``recovery_time_s``, ``lead_time_s``, ``migration_type``); every version 1
file is a valid version 2 file but for its number.

`docs/inventory.schema.json` is written from this dict by
`python manage.py inventory_schema`; a test keeps the two equal.
"""

from __future__ import annotations

from typing import Any

FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)

# Limits that every way in applies (this schema, the models' validators, so the
# API and the admin): each fits its database column (int32 or int64) with room
# for sums over a whole cloud, and is far above any real machine.
MAX_VCPUS = 2**20  # 1,048,576 vCPUs
MAX_MEMORY_MIB = 2**40  # 1 EiB: a million such hosts still sum below int64
MAX_DISK_GIB = 2**31 - 1  # PositiveIntegerField is int32 on PostgreSQL
MAX_MEMBERS = 2**20  # max_impacted, required_members
MAX_RATE_MIBPS = 1e9  # NIC bandwidth, page dirty rate
MAX_SECONDS = 1e8  # switchover, outage budget: three years
MIN_RATIO, MAX_RATIO = 0.01, 64.0  # allocation ratios

_NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^\S(.*\S)?$"}


def _int(minimum: int, maximum: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "maximum": maximum}


_RATIO = {"type": "number", "minimum": MIN_RATIO, "maximum": MAX_RATIO}
_RATE = {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_RATE_MIBPS}
_SECONDS = {"type": "number", "minimum": 0, "maximum": MAX_SECONDS}
_SOURCE = {
    "enum": ["measured", "file", "default"],
    "description": "Where the figure came from; absent: 'file' if the figure is given, "
    "else 'default'.",
}
_VERSIONS = {
    "type": "object",
    "description": "Component name to semantic version (MAJOR.MINOR.PATCH).",
    "propertyNames": {"minLength": 1, "maxLength": 100},
    "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 100},
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://escalator.dev/schemas/inventory-v2.json",
    "title": "Escalator cloud inventory",
    "description": "One OpenStack cloud: its compute hosts, servers, server groups, "
    "VNFs and the release its hosts must be upgraded to.",
    "type": "object",
    "required": ["format_version", "cloud", "hosts"],
    "additionalProperties": False,
    "properties": {
        "format_version": {"enum": list(READABLE_VERSIONS)},
        "cloud": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": _NAME,
                "openstack_cloud": {
                    "type": "string",
                    "maxLength": 255,
                    "description": "Entry of clouds.yaml that reaches this cloud.",
                },
            },
        },
        "target_release": {
            "type": "object",
            "required": ["name", "components"],
            "additionalProperties": False,
            "properties": {"name": _NAME, "components": _VERSIONS},
        },
        "control_plane": {**_VERSIONS, "description": "The VIM control plane's versions."},
        "hosts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "az", "vcpus", "ram_mib", "disk_gib", "nic_bandwidth_mibps"],
                "additionalProperties": False,
                "properties": {
                    "name": _NAME,
                    "az": _NAME,
                    "aggregates": {"type": "array", "items": _NAME, "uniqueItems": True},
                    "vcpus": _int(1, MAX_VCPUS),
                    "ram_mib": _int(1, MAX_MEMORY_MIB),
                    "disk_gib": _int(1, MAX_DISK_GIB),
                    "cpu_allocation_ratio": _RATIO,
                    "ram_allocation_ratio": _RATIO,
                    "disk_allocation_ratio": _RATIO,
                    "nic_bandwidth_mibps": _RATE,
                    "service_status": {"enum": ["enabled", "disabled"]},
                    "service_state": {"enum": ["up", "down"]},
                    "disabled_reason": {"type": "string", "maxLength": 255},
                    "components": _VERSIONS,
                },
            },
        },
        "servers": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "host", "vcpus", "ram_mib", "disk_gib"],
                "additionalProperties": False,
                "properties": {
                    "name": _NAME,
                    "uuid": {"type": "string", "maxLength": 64},
                    "host": _NAME,
                    "flavor": {"type": "string", "maxLength": 255},
                    "vcpus": _int(1, MAX_VCPUS),
                    "ram_mib": _int(1, MAX_MEMORY_MIB),
                    "disk_gib": _int(0, MAX_DISK_GIB),
                    "status": {
                        "enum": sorted(
                            ["ACTIVE", "SHUTOFF", "ERROR", "MIGRATING", "RESIZE",
                             "VERIFY_RESIZE", "REBUILD", "BUILD", "REBOOT", "HARD_REBOOT",
                             "PAUSED", "SUSPENDED", "UNKNOWN"]
                        )
                    },
                    "task_state": {"type": ["string", "null"], "maxLength": 64},
                    "memory_used_mib": _int(0, MAX_MEMORY_MIB),
                    "dirty_rate_mibps": {"type": "number", "minimum": 0, "maximum": MAX_RATE_MIBPS},
                    "memory_source": _SOURCE,
                    "dirty_rate_source": _SOURCE,
                    "working_set_mib": _int(0, MAX_MEMORY_MIB),
                    "live_migratable": {"type": "boolean"},
                    "not_migratable_reason": {"type": "string", "maxLength": 255},
                },
            },
        },
        "server_groups": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "policy", "members"],
                "additionalProperties": False,
                "properties": {
                    "name": _NAME,
                    "policy": {
                        "enum": ["affinity", "anti-affinity", "soft-affinity",
                                 "soft-anti-affinity"]
                    },
                    "members": {"type": "array", "items": _NAME, "uniqueItems": True},
                },
            },
        },
        "vnfs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "ha_model", "members"],
                "additionalProperties": False,
                "properties": {
                    "name": _NAME,
                    "ha_model": {"enum": ["active-standby", "n+m", "none"]},
                    "max_impacted": _int(0, MAX_MEMBERS),
                    "required_members": _int(1, MAX_MEMBERS),
                    "switchover_s": _SECONDS,
                    "outage_budget_s": _SECONDS,
                    "recovery_time_s": _SECONDS,
                    "lead_time_s": _SECONDS,
                    "migration_type": {"enum": ["any", "live_migrate", "migrate", "own_action"]},
                    "members": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["server", "role"],
                            "additionalProperties": False,
                            "properties": {
                                "server": _NAME,
                                "role": {"enum": ["active", "standby", "member"]},
                            },
                        },
                    },
                },
            },
        },
    },
}
