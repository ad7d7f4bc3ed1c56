"""Version rules by semantic versioning: the one parser and its comparisons.

Versions are ``MAJOR.MINOR.PATCH`` (with semver's optional pre-release and
build parts), nothing shorter: docs/plan.md says ``"1.2"`` is not a version,
and the pre-check, the inventory's consistency check and the validator all
read versions through :func:`parse`. A MAJOR change is incompatible, MINOR
and PATCH are backward compatible. A host "needs the upgrade" when any of its
components is below the target. Live migration is allowed from a host to
another whose every shared component is at the same or a newer version.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import semver

from domain.snapshot import Host, Release


@lru_cache(maxsize=4096)
def parse(version: str) -> semver.Version | None:
    """The version, or ``None`` when ``version`` is not MAJOR.MINOR.PATCH."""
    try:
        return semver.Version.parse(version)
    except (ValueError, TypeError):
        return None


def problem(version: str) -> str | None:
    """Why ``version`` is not a version, in the words an inventory error uses."""
    if parse(version) is not None:
        return None
    return f"{version!r} is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.4.2)"


@lru_cache(maxsize=65536)
def compare(a: str, b: str) -> int:
    """-1, 0 or 1 like ``cmp``; unparsable versions compare as plain strings."""
    va, vb = parse(a), parse(b)
    if va is None or vb is None:
        return (a > b) - (a < b)
    return va.compare(vb)


def is_older(a: str, b: str) -> bool:
    """True when version ``a`` is strictly older than ``b``."""
    return compare(a, b) < 0


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
