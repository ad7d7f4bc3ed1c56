"""What a VNF's ``migration_type`` lets the plan do to its members (pure: no Django).

A VNF may ask (Fenix's instance constraint) that its instances leave a host
one way only: ``live_migrate``, ``migrate`` (cold) or ``own_action`` (its
VNF manager takes the member out itself: the plan's switchover, which the
executor hands to the VNF manager as OWN_ACTION). ``any`` leaves the choice
to the strategy. A server already shut off may always stay: nothing is done
to it.
"""

from __future__ import annotations

from collections.abc import Mapping

from domain.plan import ActionKind
from domain.snapshot import MigrationType, Vnf

# The one action each migration type asks for (shut-off servers may also stay).
ACTION_OF_TYPE: Mapping[MigrationType, ActionKind] = {
    MigrationType.LIVE_MIGRATE: ActionKind.LIVE_MIGRATE,
    MigrationType.MIGRATE: ActionKind.COLD_MIGRATE,
    MigrationType.OWN_ACTION: ActionKind.SWITCHOVER,
}


def required_action(vnf: Vnf | None) -> ActionKind | None:
    """The action a VNF's migration_type asks for its running members, or None (``any``)."""
    if vnf is None:
        return None
    return ACTION_OF_TYPE.get(MigrationType(vnf.migration_type))


def type_note(vnf: Vnf | None) -> str:
    """' (VNF x asks for ...)' for a failure message, or '' when the VNF leaves the choice."""
    needed = required_action(vnf)
    if vnf is None or needed is None:
        return ""
    return f" (VNF {vnf.name}'s migration_type {vnf.migration_type} allows only {needed})"
