"""Version logic by semantic versioning, for the pre-check and the strategies.

A MAJOR change is incompatible, MINOR and PATCH are backward compatible. A
host "needs the upgrade" when any of its components is below the target.
Live migration is allowed from a host to another whose every shared
component is at the same or a newer version.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import semver

from inventory.snapshot import Host, Release


@lru_cache(maxsize=4096)
def parse(version: str) -> semver.Version | None:
    try:
        return semver.Version.parse(version, optional_minor_and_patch=True)
    except (ValueError, TypeError):
        return None


@lru_cache(maxsize=65536)
def compare(a: str, b: str) -> int:
    """-1, 0 or 1 like ``cmp``; unparsable versions compare as plain strings."""
    va, vb = parse(a), parse(b)
    if va is None or vb is None:
        return (a > b) - (a < b)
    return va.compare(vb)


def needs_upgrade(host: Host, target: Release) -> bool:
    versions = host.versions
    return any(
        name not in versions or compare(versions[name], wanted) < 0
        for name, wanted in target.versions.items()
    )


def upgraded_versions(host: Host, target: Release) -> dict[str, str]:
    """The host's versions once it has reached ``target``."""
    versions = dict(host.versions)
    for name, wanted in target.versions.items():
        if name not in versions or compare(versions[name], wanted) < 0:
            versions[name] = wanted
    return versions


def can_live_migrate(source: Mapping[str, str], target: Mapping[str, str]) -> bool:
    """True when no component shared by both ends is older on the target."""
    return all(compare(target[name], version) >= 0 for name, version in source.items() if name in target)
