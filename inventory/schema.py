"""The JSON Schema of inventory files (format version 1).

`docs/inventory.schema.json` is written from this dict by
`python manage.py inventory_schema`; a test keeps the two equal.
"""

from __future__ import annotations

from typing import Any

FORMAT_VERSION = 1

_NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^\S(.*\S)?$"}
_POSITIVE_INT = {"type": "integer", "minimum": 1}
_NON_NEGATIVE_INT = {"type": "integer", "minimum": 0}
_NON_NEGATIVE_NUMBER = {"type": "number", "minimum": 0}
_RATIO = {"type": "number", "exclusiveMinimum": 0, "maximum": 64}
_VERSIONS = {
    "type": "object",
    "description": "Component name to semantic version (MAJOR.MINOR.PATCH).",
    "propertyNames": {"minLength": 1, "maxLength": 100},
    "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 100},
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://escalator.dev/schemas/inventory-v1.json",
    "title": "Escalator cloud inventory",
    "description": "One OpenStack cloud: its compute hosts, servers, server groups, "
    "VNFs and the release its hosts must be upgraded to.",
    "type": "object",
    "required": ["format_version", "cloud", "hosts"],
    "additionalProperties": False,
    "properties": {
        "format_version": {"const": FORMAT_VERSION},
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
                    "vcpus": _POSITIVE_INT,
                    "ram_mib": _POSITIVE_INT,
                    "disk_gib": _POSITIVE_INT,
                    "cpu_allocation_ratio": _RATIO,
                    "ram_allocation_ratio": _RATIO,
                    "disk_allocation_ratio": _RATIO,
                    "nic_bandwidth_mibps": {"type": "number", "exclusiveMinimum": 0},
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
                    "vcpus": _POSITIVE_INT,
                    "ram_mib": _POSITIVE_INT,
                    "disk_gib": _NON_NEGATIVE_INT,
                    "status": {
                        "enum": sorted(
                            ["ACTIVE", "SHUTOFF", "ERROR", "MIGRATING", "RESIZE",
                             "VERIFY_RESIZE", "REBUILD", "BUILD", "REBOOT", "HARD_REBOOT",
                             "PAUSED", "SUSPENDED", "UNKNOWN"]
                        )
                    },
                    "task_state": {"type": ["string", "null"], "maxLength": 64},
                    "memory_used_mib": _NON_NEGATIVE_INT,
                    "dirty_rate_mibps": _NON_NEGATIVE_NUMBER,
                    "working_set_mib": _NON_NEGATIVE_INT,
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
                    "max_impacted": _NON_NEGATIVE_INT,
                    "required_members": _POSITIVE_INT,
                    "switchover_s": _NON_NEGATIVE_NUMBER,
                    "outage_budget_s": _NON_NEGATIVE_NUMBER,
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
