"""Reading inventory text into plain data, refusing what no inventory holds.

Pure (no Django). JSON and YAML parsers are set up so that a hostile file
costs no more than its size: YAML anchors and aliases are refused (a 500-byte
alias bomb expands into gigabytes), nesting is bounded, duplicate keys, NaN,
infinities and integers of absurd length are refused, and every message
names where the problem is (line and column, or the path in the document)
without repeating the value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from inventory.yaml_reader import load_yaml

# 1000 hosts and 20,000 servers are 14 MB of JSON: room for twice that.
MAX_FILE_BYTES = 32 * 1024 * 1024
# The format's deepest value is vnfs[i].members[j].role: five levels.
MAX_DEPTH = 12
# int64 has 19 digits: anything longer is refused before Python converts it.
MAX_INT_DIGITS = 20

_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def size_problem(name: str, size: int, max_bytes: int) -> str | None:
    if size <= max_bytes:
        return None
    return (
        f"{name}: the file is {size / 2**20:.1f} MiB; inventories are limited to "
        f"{max_bytes / 2**20:.1f} MiB (setting INVENTORY_MAX_BYTES)"
    )


class Unusable:
    """A value the parser kept aside, to be refused with its path by ``screen``."""

    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self) -> str:
        return f"<{self.reason}>"


class CheckedDict(dict):
    """A JSON object that remembers the keys it was given more than once."""

    duplicates: tuple[str, ...] = ()


def _json_object(pairs: list[tuple[str, Any]]) -> CheckedDict:
    mapping = CheckedDict(pairs)
    if len(mapping) != len(pairs):
        seen: set[str] = set()
        twice: list[str] = []
        for key, _ in pairs:
            (twice.append if key in seen else seen.add)(key)
        mapping.duplicates = tuple(dict.fromkeys(twice))
    return mapping


def _json_float(text: str) -> float | Unusable:
    value = float(text)
    return value if math.isfinite(value) else Unusable(f"{_cut(text)} is out of range")


def _json_int(text: str) -> int | Unusable:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        return Unusable(f"an integer of {len(text)} digits is out of range")
    return int(text)


def _json_constant(text: str) -> Unusable:
    return Unusable(f"{text} is not a number JSON allows")


def parse_json(text: str, name: str) -> tuple[Any, str | None]:
    """The document, or None and a message with the line and column of the problem."""
    try:
        return json.loads(
            text, object_pairs_hook=_json_object, parse_float=_json_float,
            parse_int=_json_int, parse_constant=_json_constant,
        ), None
    except json.JSONDecodeError as exc:
        return None, (
            f"{name}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        )
    except RecursionError:
        return None, f"{name}: nested more than {MAX_DEPTH} levels deep"


class _StrictConstructor(SafeConstructor):
    """PyYAML's safe scalars, with NaN, infinities, huge integers and bad dates refused.

    Collections, keys and their duplicates are yaml_reader's: it builds them.
    """

    def construct_yaml_int(self, node):
        digits = str(node.value).lstrip("+-").replace("_", "")
        if len(digits) > MAX_INT_DIGITS:
            raise ConstructorError(
                None, None, f"an integer of {len(digits)} digits is out of range", node.start_mark
            )
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node):
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            raise ConstructorError(
                None, None, f"{_cut(str(node.value))} is not a finite number", node.start_mark
            )
        return value

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise ConstructorError(
                None, None, f"{_cut(str(node.value))} is not a date: {exc}", node.start_mark
            ) from None


_StrictConstructor.add_constructor("tag:yaml.org,2002:int", _StrictConstructor.construct_yaml_int)
_StrictConstructor.add_constructor(
    "tag:yaml.org,2002:float", _StrictConstructor.construct_yaml_float
)
_StrictConstructor.add_constructor(
    "tag:yaml.org,2002:timestamp", _StrictConstructor.construct_yaml_timestamp
)


def parse_yaml(text: str, name: str) -> tuple[Any, str | None]:
    """The document, or None and a message with the line and column of the problem."""
    try:
        return load_yaml(text, _StrictConstructor(), MAX_DEPTH), None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        return None, f"{name}: not valid YAML or JSON at {where}: {exc.problem}"
    except yaml.YAMLError as exc:
        return None, f"{name}: not valid YAML or JSON: {_cut(str(exc), 200)}"
    except RecursionError:
        return None, f"{name}: nested more than {MAX_DEPTH} levels deep"


def screen(document: Any) -> list[str]:
    """Problems no schema sees: kept-aside values, duplicate keys, bad text, depth.

    Walks without recursion, so any depth is safe; stops after 100 problems.
    """
    problems: list[str] = []
    for path, reason in _walk(document):
        problems.append(f"{path_text(path)}: {reason}")
        if len(problems) >= 100:
            break
    return problems


def _walk(document: Any) -> Iterator[tuple[tuple, str]]:
    stack: list[tuple[Any, tuple]] = [(document, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            if len(path) >= MAX_DEPTH:
                yield path, f"nested more than {MAX_DEPTH} levels deep"
                continue
            for key in getattr(value, "duplicates", ()):
                yield (*path, key), "is given twice (a key must appear once in a mapping)"
            children = []
            for key, item in value.items():
                if not isinstance(key, str):
                    yield path, f"the key {_cut(repr(key))} is not text"
                    continue
                if not key.isprintable() and (bad := _text_problem(key)):
                    yield path, f"a key {bad}"
                    continue
                # Scalars are checked here: most of a big file is scalars, and a
                # path is only built for a problem.
                kind = type(item)
                if kind is str:
                    if not item.isprintable() and (bad := _text_problem(item)):
                        yield (*path, key), bad
                elif kind is int or kind is bool:
                    continue
                else:
                    children.append((item, (*path, key)))
            stack.extend(reversed(children))
        elif isinstance(value, list):
            if len(path) >= MAX_DEPTH:
                yield path, f"nested more than {MAX_DEPTH} levels deep"
                continue
            stack.extend((item, (*path, i)) for i, item in reversed(list(enumerate(value))))
        elif isinstance(value, str):
            bad = _text_problem(value)
            if bad:
                yield path, bad
        elif isinstance(value, bool | int):
            continue
        elif isinstance(value, float):
            if not math.isfinite(value):
                yield path, f"{value} is not a finite number"
        elif isinstance(value, Unusable):
            yield path, value.reason


def _text_problem(text: str) -> str | None:
    if text.isprintable():
        return None
    found = _BAD_CHARS.search(text)
    if found is None:
        return None  # tabs, newlines and other printable-enough text
    char = found.group()
    if "\ud800" <= char <= "\udfff":
        return f"contains a lone surrogate (\\u{ord(char):04x}) at character {found.start()}: not valid Unicode"
    return f"contains the control character \\x{ord(char):02x} at character {found.start()}"


def path_text(parts: Iterable[Any]) -> str:
    """``hosts[3].ram_mib``: where a value is; odd keys escaped and cut short."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        key = str(part)
        if not key.isprintable():
            key = ascii(key)[1:-1]
        key = _cut(key, 60)
        text += f".{key}" if text else key
    return text or "(top)"


def _cut(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
