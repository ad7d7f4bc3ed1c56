"""The strategies' working model of the cloud while a plan is built.

Mutable and private to the strategies (the validator keeps its own). Room,
anti-affinity and Nova's choice of destination are the shared scheduler
model (``domain.scheduler.NovaScheduler``, the simulator's too); on top of
it this tracks the order of servers on each host, which hosts are upgraded,
which VNFs have a member on each host, and a journal of tentative moves so
that a host that does not fit into a wave can be rolled back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from domain.scheduler import NovaScheduler
from domain.snapshot import Host, Server, Snapshot
from domain.versions import needs_upgrade, upgraded_versions


class CloudState:
    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot
        self.nova = NovaScheduler(snapshot)
        self.hosts: dict[str, Host] = dict(snapshot.host_by_name)
        self.location = self.nova.location
        # Insertion-ordered sets of server names per host.
        self.on_host: dict[str, dict[str, None]] = {name: {} for name in self.hosts}
        for server in snapshot.servers:
            if server.host in self.on_host:
                self.on_host[server.host][server.name] = None
        self.upgraded = {name for name, h in self.hosts.items() if not needs_upgrade(h, snapshot.target)}
        self.receives = self.nova.receiving
        self.anti_groups = self.nova.hard_groups
        self.vnf_of = {server: vnf.name for server, vnf in snapshot.vnf_of_server.items()}
        self.vnfs_on: dict[str, Counter[str]] = {name: Counter() for name in self.hosts}
        for server in snapshot.servers:
            if server.host in self.hosts and server.name in self.vnf_of:
                self.vnfs_on[server.host][self.vnf_of[server.name]] += 1
        self._journal: list[tuple[str, str, str]] = []
        # Bumped whenever a host's servers change: what was worked out from
        # them stays good while the number is the same.
        self.version: Counter[str] = Counter()

    # -- bookkeeping -------------------------------------------------------
    def _relocate(self, name: str, source: str, target: str) -> None:
        self.version[source] += 1
        self.version[target] += 1
        self.nova.remove(name, source)
        self.nova.add(name, target)
        self.location[name] = target
        del self.on_host[source][name]
        self.on_host[target][name] = None
        vnf = self.vnf_of.get(name)
        if vnf is not None:
            self.vnfs_on[source][vnf] -= 1
            self.vnfs_on[target][vnf] += 1

    def move(self, server: Server, target: str) -> None:
        source = self.location[server.name]
        self._relocate(server.name, source, target)
        self._journal.append((server.name, source, target))

    def mark(self) -> int:
        return len(self._journal)

    def rollback(self, mark: int) -> None:
        while len(self._journal) > mark:
            name, source, target = self._journal.pop()
            self._relocate(name, target, source)

    def commit(self) -> None:
        self._journal.clear()

    def upgrade(self, host: str) -> None:
        self.nova.set_versions(host, upgraded_versions(self.hosts[host], self.snapshot.target))
        self.upgraded.add(host)

    # -- questions ----------------------------------------------------------
    def servers_on(self, host: str) -> list[Server]:
        by_name = self.snapshot.server_by_name
        return [by_name[name] for name in self.on_host[host]]

    def free_ram(self, host: str) -> float:
        return self.nova.free_ram(host)

    def fits(self, server: Server, host: str) -> bool:
        return self.nova.fits(server.name, host)

    def soft_conflicts(self, server: Server, host: str) -> int:
        """Members of the server's soft-anti-affinity groups already on ``host``."""
        return self.nova.soft_conflicts(server.name, host)

    def joins_own_vnf(self, server: Server, host: str) -> bool:
        """True when ``host`` already runs another member of the server's VNF.

        Two members on one host would go down together at that host's
        upgrade: the strategies never create that.
        """
        vnf = self.vnf_of.get(server.name)
        return vnf is not None and self.vnfs_on[host][vnf] > 0

    def scheduler_pick(
        self, server: Server, source: str, live: bool, excluded: Collection[str], zone: str
    ) -> str | None:
        """Nova's scheduler as modelled (``zone`` "" = any host)."""
        return self.nova.pick(server.name, source, live, zone, excluded)

    def can_host(self, server: Server, source: str, target: str, live: bool) -> bool:
        """Nova's filters for a destination (the wave's own exclusions aside)."""
        return self.nova.passes(server.name, source, target, live)
