"""YAML text to plain data straight from the parser's events, refusing what no inventory holds.

PyYAML's loader first builds a tree of nodes for the whole document and then
constructs the values: two copies of a big file in memory, and anchors and
aliases that let 500 bytes expand into gigabytes. Here each event becomes its
value at once (libyaml's parser when PyYAML has it), under the rules of
PyYAML's safe loader for scalars (ints, floats, booleans, null, timestamps,
strings), and these are refused with their line and column: anchors, aliases
and merge keys, tags other than YAML's safe scalar types, a key given twice,
a key that is not a scalar, more than one document, NaN and infinities,
integers of absurd length, nesting deeper than ``max_depth``.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_STR = "tag:yaml.org,2002:str"
_NO_KEY = object()

if getattr(yaml, "__with_libyaml__", False):
    from yaml._yaml import CParser as _EventSource
else:  # pragma: no cover - PyYAML without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _EventSource(Reader, Scanner, Parser):  # type: ignore[no-redef]
        def __init__(self, stream):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)


def _refuse(message: str, mark) -> ConstructorError:
    return ConstructorError(None, None, message, mark)


def load_yaml(text: str, constructor, max_depth: int) -> Any:
    """One YAML document as plain data; ``constructor`` builds scalars (a SafeConstructor).

    Raises a ``yaml.MarkedYAMLError`` naming the line and column of a refusal.
    """
    resolver = Resolver()
    scalars = constructor.yaml_constructors
    # Each open collection: [the container, the key waiting for its value (maps)].
    stack: list[list[Any]] = []
    root: Any = None
    documents = 0
    source = _EventSource(text)
    try:
        while source.check_event():
            event = source.get_event()
            kind = type(event)
            if kind is ScalarEvent:
                tag = event.tag
                if tag is None or tag == "!":
                    tag = resolver.resolve(ScalarNode, event.value, event.implicit)
                if event.anchor is not None:
                    raise _refuse("anchors (&name) are not allowed in inventories", event.start_mark)
                if tag == _MERGE:
                    raise _refuse("merge keys (<<) are not allowed in inventories", event.start_mark)
                build = scalars.get(tag) if tag != _STR else None
                if tag != _STR and build is None:
                    raise _refuse(f"the tag {tag!r} is not allowed in inventories",
                                  event.start_mark)
                node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
                value = event.value if build is None else build(constructor, node)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                is_map = kind is MappingStartEvent
                if event.anchor is not None:
                    raise _refuse("anchors (&name) are not allowed in inventories", event.start_mark)
                tag = event.tag
                if tag is not None and tag != "!" and tag != (_MAP if is_map else _SEQ):
                    raise _refuse(f"the tag {tag!r} is not allowed in inventories",
                                  event.start_mark)
                if len(stack) >= max_depth:
                    raise _refuse(f"nested more than {max_depth} levels deep", event.start_mark)
                value = {} if is_map else []
                _add(stack, value, event, is_collection=True)
                if not stack:
                    root = value
                stack.append([value, _NO_KEY])
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                stack.pop()
                continue
            elif kind is AliasEvent:
                raise _refuse("aliases (*name) are not allowed in inventories", event.start_mark)
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _refuse("an inventory file holds one YAML document", event.start_mark)
                continue
            else:
                continue  # stream and document ends
            if stack:
                _add(stack, value, event, is_collection=False)
            else:
                root = value
    finally:
        dispose = getattr(source, "dispose", None)
        if dispose is not None:
            dispose()
    return root


def _add(stack: list[list[Any]], value: Any, event, is_collection: bool) -> None:
    if not stack:
        return
    top = stack[-1]
    container = top[0]
    if isinstance(container, list):
        container.append(value)
    elif top[1] is _NO_KEY:
        if is_collection:
            raise _refuse("a key must be a plain value, not a list or mapping",
                          event.start_mark)
        try:
            given = value in container
        except TypeError:  # unhashable: a binary or date key would do
            raise _refuse("a key must be a plain value", event.start_mark) from None
        if given:
            shown = str(value) if len(str(value)) <= 40 else str(value)[:37] + "..."
            raise _refuse(f"the key {shown!r} is given twice in this mapping", event.start_mark)
        top[1] = value
    else:
        container[top[1]] = value
        top[1] = _NO_KEY

