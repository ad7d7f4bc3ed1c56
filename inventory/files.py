"""Inventory files: YAML or JSON, read into a Snapshot and written from one.

Pure (no Django): the import command, the upload page, the what-if command
and the sandbox all read files through here. Reading checks the whole file
first and reports every problem with its path in the file.
"""

from __future__ import annotations

import json
import re
import reprlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import fastjsonschema
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from domain.snapshot import (
    Component,
    GroupPolicy,
    HaModel,
    Host,
    InputSource,
    MemberRole,
    MigrationType,
    Release,
    Server,
    ServerGroup,
    ServiceState,
    ServiceStatus,
    Snapshot,
    Vnf,
    VnfMember,
)
from inventory.consistency import find_problems
from inventory.file_reader import (
    MAX_FILE_BYTES,
    parse_json,
    parse_yaml,
    path_text,
    screen,
    size_problem,
)
from inventory.schema import FORMAT_VERSION, SCHEMA

_VALIDATOR = Draft202012Validator(SCHEMA)
# A compiled validator answers "valid or not" fast; only an invalid document
# pays for jsonschema's full walk, which names every problem.
_FAST_CHECK = fastjsonschema.compile(
    {**SCHEMA, "$schema": "http://json-schema.org/draft-07/schema#"}
)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


# A file with a problem in every server would otherwise print a million lines.
MAX_PROBLEMS = 100
MAX_PROBLEM_CHARS = 500
_SHOW = reprlib.Repr()
_SHOW.maxstring = _SHOW.maxother = 60
_SHOW.maxlist = _SHOW.maxtuple = _SHOW.maxdict = _SHOW.maxset = 4
_SHOW.maxlevel = 2


def show(value: Any) -> str:
    """A short repr: an error message never repeats a whole (possibly huge) value."""
    return _SHOW.repr(value)


class InventoryError(ValueError):
    """An inventory that cannot be used; ``problems`` lists every reason with its path."""

    def __init__(self, problems: Iterable[str]):
        kept: list[str] = []
        more = 0
        for problem in problems:
            if len(kept) < MAX_PROBLEMS:
                if len(problem) > MAX_PROBLEM_CHARS:
                    problem = problem[: MAX_PROBLEM_CHARS - 3] + "..."
                kept.append(problem)
            else:
                more += 1
        if more:
            kept.append(f"... and {more} more problem(s) not shown")
        self.problems = kept
        super().__init__("\n".join(self.problems))


def load_inventory(path: str | Path, max_bytes: int = MAX_FILE_BYTES) -> Snapshot:
    path = Path(path)
    try:
        too_big = size_problem(path.name, path.stat().st_size, max_bytes)
        if too_big:
            raise InventoryError([too_big])
        data = path.read_bytes()
    except OSError as exc:
        raise InventoryError([f"{path}: cannot read the file: {exc.strerror or exc}"]) from exc
    return parse_inventory(read_document(decode(data, path.name), name=path.name))


def decode(data: bytes, name: str) -> str:
    """UTF-8 text, or a refusal naming the first byte that is not."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InventoryError(
            [f"{name}: not UTF-8 text (byte {exc.start} is {data[exc.start:exc.start + 1]!r})"]
        ) from exc


def read_document(text: str, name: str = "inventory", max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Parse YAML or JSON text (JSON is YAML) with a located error message.

    Refused before anything is built: text over ``max_bytes``, YAML anchors
    and aliases (an alias bomb expands 500 bytes into gigabytes), duplicate
    keys, NaN and infinite numbers, integers of absurd length, nesting deeper
    than the format's. Strings are screened later, with their paths.
    """
    too_big = size_problem(name, len(text), max_bytes)
    if too_big:
        raise InventoryError([too_big])
    text = text.removeprefix("\ufeff")  # a byte-order mark some editors write
    if text.lstrip().startswith("{"):
        # JSON's parser is two orders of magnitude faster than YAML's for big clouds.
        document, problem = parse_json(text, name)
        if problem is None:
            return document
        if len(text) > _YAML_RETRY_BYTES:
            raise InventoryError([problem])
        # A small file may be YAML in flow style: let YAML say where it is broken.
    yaml_limit = max_bytes // YAML_SHARE
    if len(text) > yaml_limit:
        raise InventoryError([
            f"{name}: a YAML inventory of {len(text) / 2**20:.1f} MiB is over the YAML limit of "
            f"{yaml_limit / 2**20:.1f} MiB (a third of INVENTORY_MAX_BYTES): YAML parses "
            f"twenty times slower than JSON, so write big clouds as JSON"
        ])
    document, problem = parse_yaml(text, name)
    if problem is not None:
        raise InventoryError([problem])
    return document


# Broken JSON bigger than this is reported as JSON: YAML would take minutes.
_YAML_RETRY_BYTES = 1 << 20
# YAML reads at about 2.5 MB/s here (JSON at 70): a third of the limit (10.7 MiB by
# default, room for the 1000-host demo's 8.8 MiB) bounds the worst refusal to seconds.
YAML_SHARE = 3


def parse_inventory(document: Any) -> Snapshot:
    """Check a parsed document against the schema and for consistency, then build it."""
    if not isinstance(document, Mapping):
        raise InventoryError(["(top): the inventory must be a mapping with cloud, hosts, ..."])
    problems = screen(document)
    if problems:
        raise InventoryError(problems)
    try:
        _FAST_CHECK(document)
    except fastjsonschema.JsonSchemaException:
        problems = []
        stopped = False
        for error in _VALIDATOR.iter_errors(document):
            if len(problems) == 3 * MAX_PROBLEMS:
                stopped = True
                break
            problems.append(_describe(error))
        if not stopped:
            # Every problem in one pass: what holds together is checked on the entries
            # the schema accepted, so fixing the schema's finds shows no new ones.
            problems += _consistency_of_the_rest(document, problems)
        problems.sort(key=_path_order)
        if stopped:
            problems.append(f"(the check stopped after {len(problems)} problems)")
        raise InventoryError(problems or ["(top): invalid"]) from None
    snapshot = _build(document)
    problems = find_problems(snapshot)
    if problems:
        raise InventoryError(problems)
    return snapshot


_SECTIONS = ("hosts", "servers", "server_groups", "vnfs")
_ENTRY = re.compile(r"\b(hosts|servers|server_groups|vnfs)\[(\d+)\]")


def _consistency_of_the_rest(document: Mapping[str, Any], schema_problems: list[str]) -> list[str]:
    """The consistency problems of the entries without a schema problem, in the file's terms.

    The entries the schema refused are left out, and so is any problem that names
    one of them (a server on a host left out is no news): what remains is true of
    the file as it is. Nothing when the schema's problems are not in list entries.
    """
    bad: dict[str, set[int]] = {section: set() for section in _SECTIONS}
    for problem in schema_problems:
        match = _ENTRY.match(problem)
        if match is None:
            return []  # a problem outside the lists: the rest cannot be read as a whole
        bad[match.group(1)].add(int(match.group(2)))
    pruned = dict(document)
    kept: dict[str, list[int]] = {}
    left_out: set[str] = set()
    for section in _SECTIONS:
        items = document.get(section)
        if not isinstance(items, list):
            continue
        kept[section] = [i for i in range(len(items)) if i not in bad[section]]
        pruned[section] = [items[i] for i in kept[section]]
        for i in bad[section]:
            if i < len(items) and isinstance(items[i], Mapping) and isinstance(items[i].get("name"), str):
                left_out.add(items[i]["name"])
    try:
        _FAST_CHECK(pruned)
    except fastjsonschema.JsonSchemaException:
        return []

    def original(match: re.Match) -> str:
        section, index = match.group(1), int(match.group(2))
        return f"{section}[{kept[section][index]}]"

    out = []
    for problem in find_problems(_build(pruned)):
        if any(repr(name) in problem for name in left_out):
            continue
        out.append(_ENTRY.sub(original, problem))
    return out


# What check_limits holds a snapshot read from a cloud to: the bounds, not the
# vocabulary (a real cloud may show statuses the file format does not list).
_LIMIT_KEYWORDS = frozenset({"maximum", "minimum", "exclusiveMinimum", "maxLength"})


def check_limits(snapshot: Snapshot) -> list[str]:
    """Where a snapshot built elsewhere (read from a cloud) breaks the file format's limits.

    The same bounds as an import: finite numbers within the database's columns,
    text without NUL or lone surrogates, names of at most 255 characters.
    """
    document = dump_inventory(snapshot)
    problems = screen(document)
    if problems:
        return problems
    try:
        _FAST_CHECK(document)
    except fastjsonschema.JsonSchemaException:
        problems = [_describe(error) for error in _VALIDATOR.iter_errors(document)
                    if error.validator in _LIMIT_KEYWORDS]
    return sorted(problems, key=_path_order)[:MAX_PROBLEMS]


def dump_inventory(snapshot: Snapshot) -> dict[str, Any]:
    """The snapshot as a document of the file format (every field written out)."""
    cloud: dict[str, Any] = {"name": snapshot.cloud}
    if snapshot.openstack_cloud:
        cloud["openstack_cloud"] = snapshot.openstack_cloud
    document: dict[str, Any] = {"format_version": FORMAT_VERSION, "cloud": cloud}
    if snapshot.target.name:
        document["target_release"] = {
            "name": snapshot.target.name,
            "components": _versions(snapshot.target.components),
        }
    if snapshot.control_plane:
        document["control_plane"] = _versions(snapshot.control_plane)
    document["hosts"] = [
        {
            "name": h.name,
            "az": h.az,
            "aggregates": list(h.aggregates),
            "vcpus": h.vcpus,
            "ram_mib": h.ram_mib,
            "disk_gib": h.disk_gib,
            "cpu_allocation_ratio": h.cpu_allocation_ratio,
            "ram_allocation_ratio": h.ram_allocation_ratio,
            "disk_allocation_ratio": h.disk_allocation_ratio,
            "nic_bandwidth_mibps": h.nic_bandwidth_mibps,
            "service_status": str(h.service_status),
            "service_state": str(h.service_state),
            "disabled_reason": h.disabled_reason,
            "components": _versions(h.components),
        }
        for h in snapshot.hosts
    ]
    document["servers"] = [
        {
            "name": s.name,
            "uuid": s.uuid,
            "host": s.host,
            "flavor": s.flavor,
            "vcpus": s.vcpus,
            "ram_mib": s.ram_mib,
            "disk_gib": s.disk_gib,
            "status": s.status,
            "task_state": s.task_state or None,
            "memory_used_mib": s.memory_used_mib,
            "dirty_rate_mibps": s.dirty_rate_mibps,
            "memory_source": str(s.memory_source),
            "dirty_rate_source": str(s.dirty_rate_source),
            "working_set_mib": s.working_set_mib,
            "live_migratable": s.live_migratable,
            "not_migratable_reason": s.not_migratable_reason,
        }
        for s in snapshot.servers
    ]
    document["server_groups"] = [
        {"name": g.name, "policy": str(g.policy), "members": list(g.members)}
        for g in snapshot.server_groups
    ]
    document["vnfs"] = [
        {
            "name": v.name,
            "ha_model": str(v.ha_model),
            "max_impacted": v.max_impacted,
            "required_members": v.required_members,
            "switchover_s": v.switchover_s,
            "outage_budget_s": v.outage_budget_s,
            "recovery_time_s": v.recovery_time_s,
            "lead_time_s": v.lead_time_s,
            "migration_type": str(v.migration_type),
            "members": [{"server": m.server, "role": str(m.role)} for m in v.members],
        }
        for v in snapshot.vnfs
    ]
    return document


def dumps_inventory(snapshot: Snapshot, fmt: str = "yaml") -> str:
    document = dump_inventory(snapshot)
    if fmt == "json":
        return json.dumps(document, indent=2) + "\n"
    if fmt == "yaml":
        return yaml.dump(document, Dumper=_Dumper, sort_keys=False, width=100)
    raise ValueError(f"unknown inventory format {fmt!r}: use yaml or json")


def write_inventory(snapshot: Snapshot, path: str | Path, fmt: str | None = None) -> None:
    """Write a file, YAML unless ``fmt`` or the suffix (.json) says JSON."""
    path = Path(path)
    if fmt is None:
        fmt = "json" if path.suffix.lower() == ".json" else "yaml"
    path.write_text(dumps_inventory(snapshot, fmt), encoding="utf-8")


def snapshot_from_document(document: Mapping[str, Any]) -> Snapshot:
    """Build a Snapshot from a document this program wrote and checked before (a stored
    inventory version): no schema or consistency check again."""
    return _build(document)


def _versions(components: tuple[Component, ...]) -> dict[str, str]:
    return {c.name: c.version for c in components}


def _components(mapping: Mapping[str, str] | None) -> tuple[Component, ...]:
    return tuple(Component(name, version) for name, version in (mapping or {}).items())


def _build(doc: Mapping[str, Any]) -> Snapshot:
    target = doc.get("target_release") or {}
    return Snapshot(
        cloud=doc["cloud"]["name"],
        openstack_cloud=doc["cloud"].get("openstack_cloud", ""),
        target=Release(name=target.get("name", ""), components=_components(target.get("components"))),
        control_plane=_components(doc.get("control_plane")),
        hosts=tuple(
            Host(
                name=h["name"],
                az=h["az"],
                aggregates=tuple(h.get("aggregates", ())),
                vcpus=h["vcpus"],
                ram_mib=h["ram_mib"],
                disk_gib=h["disk_gib"],
                cpu_allocation_ratio=float(h.get("cpu_allocation_ratio", 1.0)),
                ram_allocation_ratio=float(h.get("ram_allocation_ratio", 1.0)),
                disk_allocation_ratio=float(h.get("disk_allocation_ratio", 1.0)),
                nic_bandwidth_mibps=float(h["nic_bandwidth_mibps"]),
                service_status=ServiceStatus(h.get("service_status", "enabled")),
                service_state=ServiceState(h.get("service_state", "up")),
                disabled_reason=h.get("disabled_reason", ""),
                components=_components(h.get("components")),
            )
            for h in doc["hosts"]
        ),
        servers=tuple(
            Server(
                name=s["name"],
                uuid=s.get("uuid", ""),
                host=s["host"],
                flavor=s.get("flavor", ""),
                vcpus=s["vcpus"],
                ram_mib=s["ram_mib"],
                disk_gib=s["disk_gib"],
                status=s.get("status", "ACTIVE"),
                task_state=s.get("task_state") or "",
                memory_used_mib=s.get("memory_used_mib", s["ram_mib"]),
                dirty_rate_mibps=float(s.get("dirty_rate_mibps", 0.0)),
                memory_source=_source(s, "memory_source", "memory_used_mib"),
                dirty_rate_source=_source(s, "dirty_rate_source", "dirty_rate_mibps"),
                working_set_mib=s.get("working_set_mib", 0),
                live_migratable=s.get("live_migratable", True),
                not_migratable_reason=s.get("not_migratable_reason", ""),
            )
            for s in doc.get("servers", ())
        ),
        server_groups=tuple(
            ServerGroup(name=g["name"], policy=GroupPolicy(g["policy"]), members=tuple(g["members"]))
            for g in doc.get("server_groups", ())
        ),
        vnfs=tuple(
            Vnf(
                name=v["name"],
                ha_model=HaModel(v["ha_model"]),
                members=tuple(VnfMember(m["server"], MemberRole(m["role"])) for m in v["members"]),
                max_impacted=v.get("max_impacted", 1),
                required_members=v.get("required_members", 1),
                switchover_s=float(v.get("switchover_s", 0.0)),
                outage_budget_s=float(v.get("outage_budget_s", 0.0)),
                recovery_time_s=float(v.get("recovery_time_s", 0.0)),
                lead_time_s=float(v.get("lead_time_s", 0.0)),
                migration_type=MigrationType(v.get("migration_type", "any")),
            )
            for v in doc.get("vnfs", ())
        ),
    )


def _source(server: Mapping[str, Any], key: str, figure: str) -> InputSource:
    if key in server:
        return InputSource(server[key])
    return InputSource.FILE if figure in server else InputSource.DEFAULT


def _path(error: ValidationError) -> str:
    return path_text(error.absolute_path)


def _path_order(problem: str) -> tuple:
    # Sort hosts[10] after hosts[9]: compare the numbers inside brackets as numbers.
    head = problem.split(":", 1)[0]
    return tuple(int(p) if p.isdigit() else p for p in head.replace("]", "[").split("["))


_TYPE_WORDS = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
}


def _describe(error: ValidationError) -> str:
    path = _path(error)
    kind, value = error.validator, error.validator_value
    if kind == "required":
        # One error per missing property: name the one this error is about.
        missing = [name for name in value if name not in error.instance]
        named = [name for name in missing if error.message.startswith(repr(name))] or missing
        prefix = f"{path}." if path != "(top)" else ""
        return f"{prefix}{named[0]}: is required" if named else f"{path}: {error.message}"
    if kind == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        named = ", ".join(map(show, extra[:5])) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
        return f"{path}: unknown field{'s' if len(extra) > 1 else ''} {named}"
    if kind == "type":
        kinds = value if isinstance(value, list) else [value]
        words = " or ".join(_TYPE_WORDS.get(k, k) for k in kinds)
        return f"{path}: must be {words}, not {show(error.instance)}"
    if kind == "minimum":
        if value == 1 and error.schema.get("type") == "integer":
            return f"{path}: must be a positive integer, not {show(error.instance)}"
        return f"{path}: must be at least {value}, not {show(error.instance)}"
    if kind == "exclusiveMinimum":
        return f"{path}: must be greater than {value}, not {show(error.instance)}"
    if kind == "maximum":
        return f"{path}: must be at most {value}, not {show(error.instance)}"
    if kind == "enum":
        return f"{path}: must be one of {', '.join(map(str, value))}, not {show(error.instance)}"
    if kind == "const":
        return f"{path}: must be {show(value)}, not {show(error.instance)}"
    if kind in ("minLength", "pattern"):
        return f"{path}: must be a non-empty name without leading or trailing spaces"
    if kind == "uniqueItems":
        return f"{path}: lists an item twice"
    if kind == "minItems":
        return f"{path}: must list at least {value} item(s)"
    message = error.message
    return f"{path}: {message if len(message) <= 200 else message[:197] + '...'}"
