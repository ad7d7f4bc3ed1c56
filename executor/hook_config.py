"""Upgrade drivers and VNF managers configured on the server, picked by name.

Nothing a web user types becomes a command line or a URL the server calls:
``command`` and ``webhook`` hooks (and their credentials) live in the
server's configuration, ``settings.ESCALATOR_HOOKS`` or the YAML file named
by ``ESCALATOR_HOOKS_FILE``::

    upgrade_drivers:
      ansible: {kind: command, command: "ansible-playbook upgrade.yml -l {host}"}
      fleet:   {kind: webhook, url: "https://user:secret@fleet.example/upgrade"}
    vnf_managers:
      vnfm:    {kind: webhook, url: "https://vnfm.example/escalator", timeout_s: 10}

An execution names one (``{"upgrade_driver": "ansible", "vnf_manager":
"vnfm"}``); only the name is stored with it and shown back. Inline, a user
may still give the harmless built-ins: ``{"kind": "sandbox", "down_s": 2}``
and ``{"kind": "none"}``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

SECTIONS = {"upgrade_driver": "upgrade_drivers", "vnf_manager": "vnf_managers"}
BUILT_IN = {"upgrade_drivers": {"sandbox": {"kind": "sandbox"}},
            "vnf_managers": {"none": {"kind": "none"}}}
# What may be given inline: kind -> the keys allowed with it.
INLINE = {"upgrade_driver": {"sandbox": {"kind", "down_s"}},
          "vnf_manager": {"none": {"kind"}}}


def configured() -> dict[str, dict[str, dict[str, Any]]]:
    """Every named hook: the built-ins, then the server's own (which may replace them)."""
    own = getattr(settings, "ESCALATOR_HOOKS", None)
    if own is None:
        path = os.environ.get("ESCALATOR_HOOKS_FILE", "")
        own = yaml.safe_load(Path(path).read_text()) if path else {}
    out = {section: dict(names) for section, names in BUILT_IN.items()}
    for section in out:
        out[section].update((own or {}).get(section) or {})
    return out


def check(field: str, value: Any) -> None:
    """Refuse (ValueError, naming what is wrong) a hook a user may not give."""
    names = configured()[SECTIONS[field]]
    if value is None:
        return
    if isinstance(value, str):
        if value not in names:
            raise ValueError(f"{field}: no configured {field.replace('_', ' ')} named "
                             f"{value!r}; choose from {', '.join(sorted(names))}")
        return
    if not isinstance(value, dict):
        raise ValueError(f"{field}: the name of a configured one, e.g. {sorted(names)[0]!r}")
    kind = value.get("kind")
    allowed = INLINE[field].get(kind)
    if allowed is None:
        raise ValueError(
            f"{field}: {kind!r} hooks are configured on the server (ESCALATOR_HOOKS_FILE) "
            f"and picked by name: one of {', '.join(sorted(names))}")
    extra = sorted(set(value) - allowed)
    if extra:
        raise ValueError(f"{field}: {', '.join(extra)} may not be set here "
                         f"(allowed with kind {kind!r}: {', '.join(sorted(allowed))})")


def resolve(field: str, value: Any) -> dict[str, Any] | None:
    """The hook's full configuration (a name looked up; an inline one as it is)."""
    if isinstance(value, str):
        return dict(configured()[SECTIONS[field]][value])
    return value
