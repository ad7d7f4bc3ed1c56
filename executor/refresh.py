"""Refresh a stored cloud from OpenStack: the one call behind the pages' button, the API,
``manage.py discover`` and the end of every execution.

The cloud is read through the one adapter (the clouds.yaml of the settings,
``OS_CLIENT_CONFIG_FILE``), completed with what only the stored inventory
knows (VNFs, NIC bandwidth, memory behaviour; ``inventory.discovery.merge``)
and stored as a new inventory version. Nothing is stored when the cloud
cannot be read or what it shows does not hold together.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from domain.drift import Diff
from domain.snapshot import Snapshot
from executor.clouds import clouds_yaml
from executor.port import CloudError
from inventory import models as inventory_models
from inventory import services as inventory
from inventory.consistency import find_problems
from inventory.discovery import merge
from inventory.files import check_limits

logger = logging.getLogger(__name__)


class RefreshError(Exception):
    """The cloud could not be read, or what it shows cannot be stored; nothing changed."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems[:5]))
        self.problems = problems


@dataclass(frozen=True)
class Refreshed:
    cloud: str
    openstack_cloud: str
    version: int
    counts: dict[str, int]
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"cloud": self.cloud, "openstack_cloud": self.openstack_cloud,
                "version": self.version, "counts": self.counts, "changes": self.changes,
                "notes": self.notes}


def refresh_cloud(
    cloud: inventory_models.Cloud | None = None, *, openstack_cloud: str = "",
    overlay: Snapshot | None = None, name: str | None = None, user=None,
    timeout: float | None = 60.0,
) -> Refreshed:
    """Read the cloud from OpenStack and store it as the cloud's newest version."""
    from executor.openstack_adapter import read_snapshot  # openstacksdk, only when used

    entry = openstack_cloud or (cloud.openstack_cloud or cloud.name if cloud else "")
    if not entry:
        raise RefreshError(["no clouds.yaml entry names this cloud: set its openstack_cloud"])
    clouds_yaml()
    try:
        discovered = read_snapshot(entry, timeout=timeout)
    except CloudError as exc:
        raise RefreshError([f"cannot read cloud {entry!r}: {exc}"]) from exc
    if overlay is None and cloud is not None:
        overlay = inventory.load_snapshot(cloud)
    merged = merge(discovered, overlay, cloud=name or (cloud.name if cloud else None))
    # The same limits as a file import: what the cloud shows is input too.
    problems = check_limits(merged.snapshot) or find_problems(merged.snapshot)
    if problems:
        raise RefreshError(problems)
    counts = inventory.replace_inventory(merged.snapshot, kind=inventory_models.VersionKind.REFRESH,
                                         source=f"cloud {entry}", user=user)
    stored = inventory_models.Cloud.objects.get(name=merged.snapshot.cloud)
    version = inventory.current_version(stored)
    changes = Diff.from_dict(version.changes).lines()
    return Refreshed(stored.name, entry, version.number,
                     {k: v for k, v in counts.items() if k != "version"}, changes,
                     list(merged.notes))


def refresh_after_execution(cloud_name: str, openstack_cloud: str) -> Refreshed | None:
    """The hosts show what they run now: a refresh once an execution has ended.

    A cloud that cannot be read then is logged, not raised: the execution's
    own outcome stands.
    """
    cloud = (inventory_models.Cloud.objects.filter(openstack_cloud=openstack_cloud).first()
             or inventory_models.Cloud.objects.filter(name=cloud_name).first())
    if cloud is None:
        return None
    try:
        return refresh_cloud(cloud, openstack_cloud=openstack_cloud)
    except RefreshError as exc:
        logger.warning("refresh of cloud %s after the execution failed: %s", cloud.name, exc)
        return None
