"""Malformed inventory files of every kind the security review of issue 18 sent.

Each is the small lab cloud of tests/conftest.py (name "lab", so an import with
--replace would overwrite the stored one) broken in one place, with the text
that a refusal must contain to say where: a path in the document, a line and
column, or the size. ``malformed_files()`` builds them all; big ones are
made only when asked for (they cost a few seconds each to write).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass

import yaml

from tests.conftest import SMALL_CLOUD

MiB = 1024 * 1024


@dataclass(frozen=True)
class Malformed:
    id: str
    filename: str
    data: bytes
    where: str  # the refusal names this place (path, line/column, size)
    also: str = ""  # or this, where a form refuses it before our checks do

    def located(self, message: str) -> bool:
        return self.where in message or bool(self.also and self.also in message)

    @property
    def big(self) -> bool:
        return len(self.data) > MiB


def _doc() -> dict:
    return copy.deepcopy(SMALL_CLOUD)


def _json_with(path: tuple, raw: str) -> bytes:
    """The lab cloud as JSON with the value at ``path`` replaced by the raw token ``raw``."""
    doc = _doc()
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = "@@RAW@@"
    return json.dumps(doc, indent=1).replace('"@@RAW@@"', raw).encode()


def _set(path: tuple, value) -> dict:
    doc = _doc()
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


def _yaml(doc: dict) -> str:
    return yaml.safe_dump(doc, sort_keys=False)


def _yaml_with(path: tuple, raw: str) -> bytes:
    doc = _set(path, "@@RAW@@")
    return _yaml(doc).replace("'@@RAW@@'", raw).encode()


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def _numbers() -> list[Malformed]:
    cases = [
        ("nan-bandwidth", ("hosts", 1, "nic_bandwidth_mibps"), "NaN"),
        ("infinity-ratio", ("hosts", 0, "cpu_allocation_ratio"), "Infinity"),
        ("minus-infinity-dirty-rate", ("servers", 2, "dirty_rate_mibps"), "-Infinity"),
        ("1e400-ram", ("hosts", 1, "ram_mib"), "1e400"),
        ("minus-1e400-switchover", ("vnfs", 0, "switchover_s"), "-1e400"),
        ("1e300-integer-vcpus", ("hosts", 2, "vcpus"), "1e300"),
        ("int64-max-ram", ("hosts", 3, "ram_mib"), str(2**63 - 1)),
        ("above-int64-ram", ("hosts", 3, "ram_mib"), str(2**63)),
        ("above-uint64-disk", ("hosts", 0, "disk_gib"), str(2**64)),
        ("5000-digit-ram", ("hosts", 1, "ram_mib"), "9" * 5000),
        ("above-int32-disk", ("servers", 1, "disk_gib"), str(2**31)),
        ("absurd-memory-in-use", ("servers", 0, "memory_used_mib"), str(2**40 + 1)),
        ("ratio-1e308", ("hosts", 2, "ram_allocation_ratio"), "1e308"),
        ("ratio-tiny", ("hosts", 1, "disk_allocation_ratio"), "1e-300"),
        ("ratio-65", ("hosts", 0, "cpu_allocation_ratio"), "65"),
        ("ratio-negative", ("hosts", 3, "cpu_allocation_ratio"), "-1"),
        ("max-impacted-2e32", ("vnfs", 1, "max_impacted"), str(2**32)),
        ("outage-budget-1e300", ("vnfs", 2, "outage_budget_s"), "1e300"),
        ("bandwidth-1e300", ("hosts", 2, "nic_bandwidth_mibps"), "1e300"),
        ("fractional-vcpus", ("servers", 3, "vcpus"), "1.5"),
        ("boolean-ram", ("servers", 4, "ram_mib"), "true"),
    ]
    out = []
    for name, path, raw in cases:
        where = f"{path[0]}[{path[1]}].{path[2]}"
        out.append(Malformed(name, f"{name}.json", _json_with(path, raw), where))
    # Two hosts at int64's maximum: their sum overflowed the dashboard's query.
    doc = _doc()
    doc["hosts"][0]["ram_mib"] = doc["hosts"][1]["ram_mib"] = 2**63 - 1
    out.append(Malformed("two-int64-hosts", "two-int64-hosts.json", json.dumps(doc).encode(),
                         "hosts[0].ram_mib"))
    yaml_numbers = [
        ("yaml-inf", ("hosts", 1, "nic_bandwidth_mibps"), ".inf"),
        ("yaml-nan", ("hosts", 0, "cpu_allocation_ratio"), ".nan"),
        ("yaml-minus-inf", ("vnfs", 0, "outage_budget_s"), "-.inf"),
        ("yaml-1e400", ("hosts", 2, "ram_allocation_ratio"), "1.0e+400"),
        ("yaml-5000-digits", ("hosts", 3, "ram_mib"), "9" * 5000),
        ("yaml-above-int64", ("servers", 0, "ram_mib"), str(2**63)),
    ]
    for name, path, raw in yaml_numbers:
        data = _yaml_with(path, raw)
        line = _line_of(data.decode(), raw)
        where = f"line {line}," if name != "yaml-above-int64" else f"{path[0]}[{path[1]}].{path[2]}"
        out.append(Malformed(name, f"{name}.yaml", data, where))
    return out


def _duplicates() -> list[Malformed]:
    text = json.dumps(_doc(), indent=1)
    host = text.replace('"name": "cmp3",', '"name": "cmp3", "name": "cmp3-again",', 1)
    top = text[:-1].rstrip() + ', "hosts": []\n}'
    nested = text.replace('"nova-compute": "30.1.0",', '"nova-compute": "30.1.0", "nova-compute": "9.9.9",', 1)
    ytext = _yaml(_doc())
    ydup_host = ytext.replace("- name: cmp2\n", "- name: cmp2\n  name: cmp2-again\n", 1)
    ydup_top = ytext + "cloud:\n  name: other\n"
    return [
        Malformed("json-duplicate-host-name", "dup-host.json", host.encode(), "hosts[2].name"),
        Malformed("json-duplicate-top-key", "dup-top.json", top.encode(), "hosts: is given twice"),
        Malformed("json-duplicate-component", "dup-component.json", nested.encode(),
                  "hosts[0].components.nova-compute"),
        Malformed("yaml-duplicate-host-key", "dup-host.yaml", ydup_host.encode(),
                  f"line {_line_of(ydup_host, 'name: cmp2-again')},"),
        Malformed("yaml-duplicate-top-key", "dup-top.yaml", ydup_top.encode(),
                  f"line {ydup_top.count(chr(10)) - 1},"),
    ]


def _strings() -> list[Malformed]:
    cases = [
        ("nul-in-host-name", ("hosts", 0, "name"), '"cmp\\u0000one"', "hosts[0].name"),
        ("nul-at-end-of-az", ("hosts", 2, "az"), '"az2\\u0000"', "hosts[2].az"),
        ("lone-high-surrogate-vnf", ("vnfs", 0, "name"), '"fire\\ud800wall"', "vnfs[0].name"),
        ("lone-low-surrogate-az", ("hosts", 1, "az"), '"\\udfffaz1"', "hosts[1].az"),
        ("escape-char-reason", ("hosts", 3, "disabled_reason"), '"\\u001b[31mred"',
         "hosts[3].disabled_reason"),
        ("nul-in-server-flavor", ("servers", 5, "flavor"), '"sriov\\u0000"', "servers[5].flavor"),
    ]
    out = [Malformed(n, f"{n}.json", _json_with(p, raw), where) for n, p, raw, where in cases]
    text = json.dumps(_doc(), indent=1)
    key_surrogate = text.replace('"libvirt": "10.0.0"', '"libvirt": "10.0.0", "\\ud83d": "1.0.0"', 1)
    key_nul = text.replace('"libvirt": "10.2.0"', '"libvirt": "10.2.0", "qemu\\u0000": "1.0.0"', 1)
    out += [
        Malformed("surrogate-in-a-key", "key-surrogate.json", key_surrogate.encode(),
                  "hosts[0].components"),
        Malformed("nul-in-a-key", "key-nul.json", key_nul.encode(), "target_release.components"),
        Malformed("yaml-nul-escape", "nul.yaml", _yaml_with(("servers", 1, "name"), '"fw\\0b"'),
                  "servers[1].name"),
        Malformed("yaml-surrogate-escape", "surrogate.yaml",
                  _yaml_with(("servers", 2, "name"), '"lb\\uD800"'), "line "),
    ]
    raw = json.dumps(_doc()).encode()
    at = raw.index(b"cmp2")
    out += [
        Malformed("invalid-utf8-byte", "latin1.json", raw[:at] + b"\xff" + raw[at:], f"byte {at}"),
        Malformed("utf8-encoded-surrogate", "cesu.json", raw[:at] + b"\xed\xa0\x80" + raw[at:],
                  f"byte {at}"),
        Malformed("utf16-file", "utf16.json", json.dumps(_doc()).encode("utf-16"), "byte 0"),
    ]
    return out


def _nesting() -> list[Malformed]:
    deep_list = '{"format_version": 1, "cloud": ' + "[" * 100_000 + "]" * 100_000 + "}"
    within_recursion = _json_with(("hosts", 0, "components"), "[" * 500 + "]" * 500)
    deep_dict = _json_with(("vnfs", 0, "members"), '{"a":' * 2000 + "1" + "}" * 2000)
    yaml_flow = "format_version: 1\ncloud: " + "[" * 100_000 + "]" * 100_000 + "\n"
    block = "format_version: 1\ncloud:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 60))
    return [
        Malformed("json-100k-deep", "deep.json", deep_list.encode(), "nesting depth"),
        Malformed("json-500-deep-components", "deep500.json", within_recursion,
                  "hosts[0].components"),
        Malformed("json-2000-deep-objects", "deepdict.json", deep_dict, "nested more than"),
        Malformed("yaml-100k-deep-flow", "deep.yaml", yaml_flow.encode(), "line 2,"),
        Malformed("yaml-60-deep-block", "deepblock.yaml", block.encode(), "nested more than"),
    ]


# The review's 505-byte bomb: nine levels of nine aliases (9**9 strings).
ALIAS_BOMB = "\n".join(
    ['format_version: 1', 'cloud: {name: lab}', 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(8)]
    + ["hosts: *i"]
) + "\n"


def _yaml_features() -> list[Malformed]:
    base = _yaml(_doc())
    anchored = base.replace("- name: cmp1\n", "- &first\n  name: cmp1\n", 1)
    set_data = _yaml_with(("hosts", 0, "aggregates"), "!!set {general: null}")
    merge = (
        "format_version: 1\ncloud: {name: lab}\nbase: &base {az: az1, vcpus: 4}\n"
        "hosts:\n- <<: *base\n  name: cmp1\n"
    )
    return [
        Malformed("alias-bomb-505-bytes", "bomb.yaml", ALIAS_BOMB.encode(), "line 3,"),
        Malformed("one-anchor", "anchor.yaml", anchored.encode(),
                  f"line {_line_of(anchored, '&first')},"),
        Malformed("merge-key-alias", "merge.yaml", merge.encode(), "line 3,"),
        Malformed("python-tag", "python.yaml",
                  b"format_version: 1\ncloud: !!python/object/apply:os.system [id]\nhosts: []\n",
                  "line 2,"),
        Malformed("binary-name", "binary.yaml",
                  _yaml_with(("hosts", 0, "name"), "!!binary aGVsbG8="), "hosts[0].name"),
        Malformed("impossible-date", "date.yaml",
                  _yaml_with(("hosts", 1, "disabled_reason"), "2026-13-45"), "line "),
        Malformed("two-documents", "two.yaml", (base + "---\n" + base).encode(), "line "),
        Malformed("tab-indentation", "tabs.yaml",
                  base.replace("\n  az: az1", "\n\taz: az1", 1).encode(), "line "),
        Malformed("set-instead-of-list", "set.yaml", set_data,
                  f"line {_line_of(set_data.decode(), '!!set')},"),
        Malformed("integer-key", "intkey.yaml", (base + "1: one\n").encode(), "(top)"),
    ]


def _structure() -> list[Malformed]:
    text = json.dumps(_doc())
    many_fields = _doc()
    many_fields["hosts"][0].update({f"extra_{i}": i for i in range(10_000)})
    huge_name = _set(("hosts", 2, "name"), "x" * (2 * MiB))
    servers = _doc()
    servers["servers"] = [dict(servers["servers"][0], name=f"vm-{i}", vcpus=-1) for i in range(20_000)]
    return [
        Malformed("top-level-list", "list.json", b"[1, 2, 3]", "(top)"),
        Malformed("top-level-scalar", "scalar.yaml", b"just some text\n", "(top)"),
        Malformed("empty-file", "empty.yaml", b"", "(top)", also="The submitted file is empty"),
        Malformed("10k-unknown-fields", "fields.json", json.dumps(many_fields).encode(), "hosts[0]"),
        Malformed("2-mib-name", "name.json", json.dumps(huge_name).encode(), "hosts[2].name"),
        Malformed("20k-bad-servers", "servers.json", json.dumps(servers).encode(), "servers[0].vcpus"),
        Malformed("trailing-garbage", "garbage.json", (text + " }}}").encode(), "line 1, column"),
        Malformed("truncated-2-mib-json", "truncated.json",
                  json.dumps(_set(("hosts", 0, "disabled_reason"), "y" * (2 * MiB)))[:-40].encode(),
                  "not valid JSON at line 1, column"),
        Malformed("json-with-comments", "comments.json",
                  text.replace('"hosts"', '// the computes\n"hosts"', 1).encode(), "line "),
    ]


def _big() -> list[Malformed]:
    # A valid-looking document padded past the limits; the end is never read.
    def padded(size: int, fmt: str) -> bytes:
        doc = _set(("hosts", 0, "disabled_reason"), "@@PAD@@")
        text = json.dumps(doc) if fmt == "json" else _yaml(doc)
        pad = "p" * (size - len(text))
        return text.replace("@@PAD@@", pad).encode()

    return [
        Malformed("50-mb-json", "big.json", padded(50_000_000, "json"), "MiB"),
        Malformed("33-mb-yaml", "big.yaml", padded(33_000_000, "yaml"), "MiB"),
    ]


BUILDERS: list[Callable[[], list[Malformed]]] = [
    _numbers, _duplicates, _strings, _nesting, _yaml_features, _structure,
]


BIG_IDS = ["50-mb-json", "33-mb-yaml"]


def malformed_files(big: bool = True) -> list[Malformed]:
    cases = [case for build in BUILDERS for case in build()]
    if big:
        cases += _big()
        assert [c.id for c in cases[-len(BIG_IDS):]] == BIG_IDS
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "two cases share an id"
    return cases
