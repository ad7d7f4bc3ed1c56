"""The stored inventory of clouds: hosts, servers, server groups, VNFs, releases.

Rows convert to and from the pure Snapshot in `inventory/services.py`.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Sum
from django.urls import reverse

from domain.versions import problem as version_problem
from inventory import schema as limits
from inventory.choices import (
    GroupPolicy,
    HaModel,
    InputSource,
    MemberRole,
    MigrationType,
    ServerStatus,
    ServiceState,
    ServiceStatus,
)


def validate_finite(value: float) -> None:
    # MinValueValidator lets NaN through (every comparison with NaN is false).
    if value is not None and not math.isfinite(value):
        raise ValidationError("Enter a finite number.", code="not_finite")


def in_range(low: float, high: float) -> list:
    """The file schema's limits, for the admin and the API (see inventory/schema.py)."""
    validators = [MinValueValidator(low), MaxValueValidator(high)]
    if isinstance(low, float) or isinstance(high, float):
        validators.insert(0, validate_finite)
    return validators


def validate_semver(value: str) -> None:
    if problem := version_problem(value):
        raise ValidationError(problem)


class Cloud(models.Model):
    """One OpenStack region, with the release its hosts must reach."""

    name = models.CharField(max_length=255, unique=True)
    openstack_cloud = models.CharField(
        max_length=255, blank=True, help_text="Entry of clouds.yaml that reaches this cloud."
    )
    target_release = models.CharField(max_length=255, blank=True)
    updated = models.DateTimeField(auto_now=True)
    # The last refresh from the cloud asked for, and why it failed (empty: it did not).
    refresh_requested = models.DateTimeField(null=True, blank=True)
    refresh_error = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReleaseComponent(models.Model):
    """A component version of the cloud's target release."""

    cloud = models.ForeignKey(Cloud, on_delete=models.CASCADE, related_name="target_components")
    name = models.CharField(max_length=100)
    version = models.CharField(max_length=100, validators=[validate_semver])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["cloud", "name"],
                name="unique_target_component",
                violation_error_message="The target release names this component twice.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class ControlPlaneComponent(models.Model):
    """A component of the VIM's control plane at its current version."""

    cloud = models.ForeignKey(Cloud, on_delete=models.CASCADE, related_name="control_plane")
    name = models.CharField(max_length=100)
    version = models.CharField(max_length=100, validators=[validate_semver])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["cloud", "name"],
                name="unique_control_plane_component",
                violation_error_message="The control plane names this component twice.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class Aggregate(models.Model):
    """A nova host aggregate."""

    cloud = models.ForeignKey(Cloud, on_delete=models.CASCADE, related_name="aggregates")
    name = models.CharField(max_length=255)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["cloud", "name"],
                name="unique_aggregate",
                violation_error_message="An aggregate of this name exists in this cloud.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Host(models.Model):
    """A compute node: capacity, placement, nova-compute service and software."""

    cloud = models.ForeignKey(Cloud, on_delete=models.CASCADE, related_name="hosts")
    name = models.CharField(max_length=255)
    az = models.CharField("availability zone", max_length=255)
    aggregates = models.ManyToManyField(Aggregate, related_name="hosts", blank=True)
    vcpus = models.PositiveIntegerField(validators=in_range(1, limits.MAX_VCPUS))
    ram_mib = models.PositiveBigIntegerField(
        "RAM (MiB)", validators=in_range(1, limits.MAX_MEMORY_MIB)
    )
    disk_gib = models.PositiveIntegerField(
        "disk (GiB)", validators=in_range(1, limits.MAX_DISK_GIB)
    )
    cpu_allocation_ratio = models.FloatField(
        default=1.0, validators=in_range(limits.MIN_RATIO, limits.MAX_RATIO)
    )
    ram_allocation_ratio = models.FloatField(
        default=1.0, validators=in_range(limits.MIN_RATIO, limits.MAX_RATIO)
    )
    disk_allocation_ratio = models.FloatField(
        default=1.0, validators=in_range(limits.MIN_RATIO, limits.MAX_RATIO)
    )
    nic_bandwidth_mibps = models.FloatField(
        "migration NIC (MiB/s)", validators=in_range(0.001, limits.MAX_RATE_MIBPS)
    )
    service_status = models.CharField(
        max_length=16, choices=ServiceStatus.choices, default=ServiceStatus.ENABLED
    )
    service_state = models.CharField(
        max_length=16, choices=ServiceState.choices, default=ServiceState.UP
    )
    disabled_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["cloud", "name"],
                name="unique_host",
                violation_error_message="A host of this name exists in this cloud.",
            )
        ]
        indexes = [models.Index(fields=["cloud", "az"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("inventory:host-detail", args=[self.pk])

    @property
    def vcpu_capacity(self) -> float:
        return self.vcpus * self.cpu_allocation_ratio

    @property
    def ram_capacity_mib(self) -> float:
        return self.ram_mib * self.ram_allocation_ratio

    @property
    def disk_capacity_gib(self) -> float:
        return self.disk_gib * self.disk_allocation_ratio

    def clean(self) -> None:
        if self.service_status == ServiceStatus.ENABLED and self.disabled_reason:
            raise ValidationError(
                {"disabled_reason": "Only a disabled service has a reason for being disabled."}
            )
        if self.pk:
            used = self.servers.aggregate(
                vcpus=Sum("vcpus"), ram=Sum("ram_mib"), disk=Sum("disk_gib")
            )
            errors = {}
            if (used["vcpus"] or 0) > self.vcpu_capacity:
                errors["vcpus"] = (
                    f"Its servers use {used['vcpus']} vCPUs, more than "
                    f"{self.vcpu_capacity:g} (vCPUs x allocation ratio)."
                )
            if (used["ram"] or 0) > self.ram_capacity_mib:
                errors["ram_mib"] = (
                    f"Its servers use {used['ram']} MiB, more than {self.ram_capacity_mib:g} MiB."
                )
            if (used["disk"] or 0) > self.disk_capacity_gib:
                errors["disk_gib"] = (
                    f"Its servers use {used['disk']} GiB, more than {self.disk_capacity_gib:g} GiB."
                )
            if errors:
                raise ValidationError(errors)


class HostComponent(models.Model):
    """A piece of a host's software stack (OS, libvirt, qemu, nova-compute...)."""

    host = models.ForeignKey(Host, on_delete=models.CASCADE, related_name="components")
    name = models.CharField(max_length=100)
    version = models.CharField(max_length=100, validators=[validate_semver])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["host", "name"],
                name="unique_host_component",
                violation_error_message="This host already lists this component.",
            )
        ]
        indexes = [models.Index(fields=["name", "version"])]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class Server(models.Model):
    """A VM on a host, with what live migration needs to know about its memory."""

    cloud = models.ForeignKey(Cloud, on_delete=models.CASCADE, related_name="servers")
    name = models.CharField(max_length=255)
    uuid = models.CharField(max_length=64, blank=True)
    host = models.ForeignKey(Host, on_delete=models.PROTECT, related_name="servers")
    flavor = models.CharField(max_length=255, blank=True)
    vcpus = models.PositiveIntegerField(validators=in_range(1, limits.MAX_VCPUS))
    ram_mib = models.PositiveBigIntegerField(
        "RAM (MiB)", validators=in_range(1, limits.MAX_MEMORY_MIB)
    )
    disk_gib = models.PositiveIntegerField(
        "disk (GiB)", validators=in_range(0, limits.MAX_DISK_GIB)
    )
    status = models.CharField(max_length=16, choices=ServerStatus.choices, default="ACTIVE")
    task_state = models.CharField(max_length=64, blank=True)
    memory_used_mib = models.PositiveBigIntegerField(
        "memory in use (MiB)", default=0, validators=in_range(0, limits.MAX_MEMORY_MIB)
    )
    dirty_rate_mibps = models.FloatField(
        "page dirty rate (MiB/s)", default=0.0, validators=in_range(0.0, limits.MAX_RATE_MIBPS)
    )
    memory_source = models.CharField(
        "memory in use: source", max_length=16, choices=InputSource.choices,
        default=InputSource.DEFAULT,
        help_text="Measured on the cloud, from the inventory file, or a default by flavor.",
    )
    dirty_rate_source = models.CharField(
        "dirty rate: source", max_length=16, choices=InputSource.choices,
        default=InputSource.DEFAULT,
        help_text="Measured on the cloud, from the inventory file, or a default by VNF kind.",
    )
    working_set_mib = models.PositiveBigIntegerField(
        "writable working set (MiB)", default=0, validators=in_range(0, limits.MAX_MEMORY_MIB)
    )
    live_migratable = models.BooleanField(default=True)
    not_migratable_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["cloud", "name"],
                name="unique_server",
                violation_error_message="A server of this name exists in this cloud.",
            ),
            models.CheckConstraint(
                condition=models.Q(dirty_rate_mibps__gte=0),
                name="dirty_rate_not_negative",
                violation_error_message="The page dirty rate cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.memory_used_mib > self.ram_mib:
            errors["memory_used_mib"] = (
                f"{self.memory_used_mib} MiB in use exceeds the flavor's {self.ram_mib} MiB."
            )
        if self.working_set_mib > self.ram_mib:
            errors["working_set_mib"] = (
                f"A working set of {self.working_set_mib} MiB exceeds the flavor's "
                f"{self.ram_mib} MiB."
            )
        if not self.live_migratable and not self.not_migratable_reason.strip():
            errors["not_migratable_reason"] = "Say why the server cannot live-migrate."
        if self.host_id:
            errors.update(self._fit_errors())
            errors.update(self._group_errors())
        if errors:
            raise ValidationError(errors)

    def _fit_errors(self) -> dict[str, str]:
        others = Server.objects.filter(host_id=self.host_id).exclude(pk=self.pk)
        used = others.aggregate(vcpus=Sum("vcpus"), ram=Sum("ram_mib"), disk=Sum("disk_gib"))
        host = self.host
        problems = []
        if (used["vcpus"] or 0) + self.vcpus > host.vcpu_capacity:
            problems.append(f"{(used['vcpus'] or 0) + self.vcpus} vCPUs of {host.vcpu_capacity:g}")
        if (used["ram"] or 0) + self.ram_mib > host.ram_capacity_mib:
            problems.append(f"{(used['ram'] or 0) + self.ram_mib} MiB RAM of {host.ram_capacity_mib:g}")
        if (used["disk"] or 0) + self.disk_gib > host.disk_capacity_gib:
            problems.append(f"{(used['disk'] or 0) + self.disk_gib} GiB disk of {host.disk_capacity_gib:g}")
        if problems:
            return {"host": f"The server does not fit on {host.name}: " + "; ".join(problems) + "."}
        return {}

    def _group_errors(self) -> dict[str, str]:
        if not self.pk:
            return {}
        for group in self.server_groups.filter(policy=GroupPolicy.ANTI_AFFINITY):
            clash = group.members.exclude(pk=self.pk).filter(host_id=self.host_id).first()
            if clash:
                return {
                    "host": f"{clash.name} of anti-affinity group {group.name} already runs "
                    f"on {self.host.name}."
                }
        return {}


class ServerGroup(models.Model):
    """Nova's placement policy over a set of servers."""

    cloud = models.ForeignKey(Cloud, on_delete=models.CASCADE, related_name="server_groups")
    name = models.CharField(max_length=255)
    policy = models.CharField(max_length=32, choices=GroupPolicy.choices)
    members = models.ManyToManyField(Server, related_name="server_groups", blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["cloud", "name"],
                name="unique_server_group",
                violation_error_message="A server group of this name exists in this cloud.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Vnf(models.Model):
    """A network function delivered by a set of servers, with its HA model and budgets."""

    cloud = models.ForeignKey(Cloud, on_delete=models.CASCADE, related_name="vnfs")
    name = models.CharField(max_length=255)
    ha_model = models.CharField("HA model", max_length=32, choices=HaModel.choices)
    max_impacted = models.PositiveIntegerField(
        default=1, help_text="How many members may be out of service at once.",
        validators=in_range(0, limits.MAX_MEMBERS),
    )
    required_members = models.PositiveIntegerField(
        default=1, help_text="Healthy members needed for full service.",
        validators=in_range(1, limits.MAX_MEMBERS),
    )
    switchover_s = models.FloatField(
        "switchover (s)", default=0.0, validators=in_range(0.0, limits.MAX_SECONDS)
    )
    outage_budget_s = models.FloatField(
        "outage budget per event (s)", default=0.0, validators=in_range(0.0, limits.MAX_SECONDS)
    )
    recovery_time_s = models.FloatField(
        "recovery time (s)", default=0.0, validators=in_range(0.0, limits.MAX_SECONDS),
        help_text="After a member is back in service, how long before the next may go.",
    )
    lead_time_s = models.FloatField(
        "lead time (s)", default=0.0, validators=in_range(0.0, limits.MAX_SECONDS),
        help_text="Notice the VNF manager needs before the first action on its instances.",
    )
    migration_type = models.CharField(
        max_length=16, choices=MigrationType.choices, default=MigrationType.ANY,
        help_text="How the VNF's instances leave a host; 'own action' leaves it to the VNF manager.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "VNF"
        constraints = [
            models.UniqueConstraint(
                fields=["cloud", "name"],
                name="unique_vnf",
                violation_error_message="A VNF of this name exists in this cloud.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("inventory:vnf-detail", args=[self.pk])

    def clean(self) -> None:
        if not self.pk:
            return
        size = self.members.count()
        errors = {}
        if self.max_impacted > size:
            errors["max_impacted"] = f"{self.max_impacted} exceeds the {size} members."
        if self.required_members > size:
            errors["required_members"] = f"{self.required_members} exceeds the {size} members."
        if errors:
            raise ValidationError(errors)


class VnfMember(models.Model):
    """A server's place in a VNF."""

    vnf = models.ForeignKey(Vnf, on_delete=models.CASCADE, related_name="members")
    server = models.OneToOneField(Server, on_delete=models.CASCADE, related_name="vnf_member")
    role = models.CharField(max_length=16, choices=MemberRole.choices)

    class Meta:
        ordering = ["vnf", "server__name"]
        verbose_name = "VNF member"

    def __str__(self) -> str:
        return f"{self.server} ({self.role})"

    def clean(self) -> None:
        if not self.vnf_id:
            return
        if self.role in (MemberRole.ACTIVE, MemberRole.STANDBY) and (
            self.vnf.ha_model != HaModel.ACTIVE_STANDBY
        ):
            raise ValidationError(
                {"role": f"Role {self.role} only fits an active-standby VNF, not {self.vnf.ha_model}."}
            )
        if self.role == MemberRole.ACTIVE:
            other = self.vnf.members.filter(role=MemberRole.ACTIVE).exclude(pk=self.pk).first()
            if other:
                raise ValidationError({"role": f"{other.server.name} is already the active member."})


class VersionKind(models.TextChoices):
    IMPORT = "import", "Imported from a file"
    REFRESH = "refresh", "Read from the cloud"
    EDIT = "edit", "Edited through the API or the admin"
    MIGRATION = "migration", "Made from the stored rows (upgrade of Escalator)"


class InventoryVersion(models.Model):
    """One immutable version of a cloud's inventory: every import and refresh adds one.

    ``document`` is the whole inventory in the file format (format_version 1),
    so a version reads back into the Snapshot it was made from; ``fingerprint``
    is that Snapshot's content hash. Plans, simulations, pre-checks and
    executions name the version they were made from; none is ever deleted
    while anything refers to it (PROTECT).
    """

    cloud = models.ForeignKey(Cloud, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=VersionKind.choices)
    source = models.CharField(max_length=500, blank=True,
                              help_text="The file name, or the clouds.yaml entry read.")
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    fingerprint = models.CharField(max_length=64)
    document = models.JSONField()
    counts = models.JSONField(default=dict)
    changes = models.JSONField(default=dict, help_text="The diff from the previous version.")

    class Meta:
        ordering = ["cloud", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["cloud", "number"],
                name="unique_inventory_version",
                violation_error_message="This cloud already has a version of this number.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.cloud.name} v{self.number}"

    @property
    def label(self) -> str:
        return f"v{self.number} ({self.get_kind_display().lower()}, {self.created:%Y-%m-%d %H:%M} UTC)"
