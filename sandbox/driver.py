"""Nova's fake virt driver, sized per host and wired to the sandbox's faults.

Loaded by nova-compute through ``compute_driver = sandbox.driver.SandboxDriver``
inside the sandbox process only: importing it pulls in nova.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from nova import context as nova_context
from nova import exception, objects
from nova.compute import power_state
from nova.objects import diagnostics as diagnostics_obj
from nova.virt import fake

from sandbox.faults import FaultBook


@dataclass
class DriverSettings:
    """What the cloud builder tells every compute's driver (one per process)."""

    # host -> (vcpus, ram MiB, disk GiB) as the inventory says.
    capacity: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    faults: FaultBook = field(default_factory=FaultBook)
    # Added to every live migration, to make them observable while running.
    live_migration_s: float = 0.0
    # The cloud was restored from saved databases: each hypervisor takes back
    # the servers its host holds there, as a real one still runs them.
    adopt_servers: bool = False
    # Server name -> the guest's memory in use, MiB: the sandbox's model of each
    # guest, reported in Nova's server diagnostics as a libvirt driver would.
    guest_memory_mib: dict[str, int] = field(default_factory=dict)


SETTINGS = DriverSettings()


class SandboxDriver(fake.FakeDriver):
    """A fake hypervisor whose size comes from the inventory.

    Live migrations can be slowed, made to fail, or aborted while they run,
    as with a real driver; the destination pre-check can be made to fail.
    """

    def __init__(self, virtapi, read_only=False):
        super().__init__(virtapi, read_only)
        self._sized = False
        self._aborts: dict[str, threading.Event] = {}

    def init_host(self, host):
        super().init_host(host)
        # init_host runs again when a compute is restarted with this same
        # driver (its servers kept): size it only once so usage survives.
        if not self._sized and host in SETTINGS.capacity:
            self.vcpus, self.memory_mb, self.local_gb = SETTINGS.capacity[host]
            self.resources = fake.Resources(
                vcpus=self.vcpus, memory_mb=self.memory_mb, local_gb=self.local_gb
            )
            self._sized = True
            if SETTINGS.adopt_servers:
                self._adopt_servers(host)

    def _adopt_servers(self, host):
        admin = nova_context.get_admin_context()
        for instance in objects.InstanceList.get_by_host(admin, host,
                                                         expected_attrs=["flavor"]):
            running = instance.power_state == power_state.RUNNING
            flavor = instance.flavor
            self.resources.claim(vcpus=flavor.vcpus, mem=flavor.memory_mb,
                                 disk=flavor.root_gb)
            self.instances[instance.uuid] = fake.FakeInstance(
                instance.name, power_state.RUNNING if running else power_state.SHUTDOWN,
                instance.uuid)

    def get_instance_diagnostics(self, instance):
        # FakeDriver reports 512 GiB allocated and 0 used for every guest: the
        # sandbox reports the flavor's allocation and what its model of the
        # guest holds (a server it does not know uses all of it).
        diags = super().get_instance_diagnostics(instance)
        allocated = int(instance.flavor.memory_mb)
        used = min(allocated, SETTINGS.guest_memory_mib.get(instance.display_name, allocated))
        diags.memory_details = diagnostics_obj.MemoryDiagnostics(maximum=allocated, used=used)
        return diags

    def get_host_uptime(self):
        # The API asks for it on hypervisor details; FakeDriver raises.
        return " 00:00:00 up 1 day,  0:00,  0 users,  load average: 0.10, 0.10, 0.10"

    def live_migration(self, context, instance, dest, post_method, recover_method,
                       block_migration=False, migrate_data=None):
        faults = SETTINGS.faults
        delay = SETTINGS.live_migration_s
        slow = faults.take("live_migration_slow", self._host)
        if slow is not None:
            delay += slow.seconds
        failing = faults.take("live_migration_fail", self._host) is not None
        abort = self._aborts.setdefault(instance.uuid, threading.Event())
        abort.clear()
        try:
            if delay > 0 and abort.wait(delay):
                recover_method(context, instance, dest, migrate_data,
                               migration_status="cancelled")
                return
            if failing:
                # What a real driver does when the copy fails: roll back, the
                # server keeps running on its source, the migration is failed.
                recover_method(context, instance, dest, migrate_data,
                               migration_status="failed")
                return
            post_method(context, instance, dest, block_migration, migrate_data)
        finally:
            self._aborts.pop(instance.uuid, None)

    def live_migration_abort(self, instance):
        event = self._aborts.get(instance.uuid)
        if event is not None:
            event.set()

    def check_can_live_migrate_destination(self, context, instance, src_compute_info,
                                           dst_compute_info, block_migration=False,
                                           disk_over_commit=False):
        if SETTINGS.faults.take("precheck_fail", self._host) is not None:
            raise exception.MigrationPreCheckError(
                reason=f"injected fault: destination {self._host} refused the migration"
            )
        return super().check_can_live_migrate_destination(
            context, instance, src_compute_info, dst_compute_info,
            block_migration, disk_over_commit)
