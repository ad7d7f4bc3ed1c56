"""The packages depend one way: the order docs/architecture.md gives, and no cycle.

Module cycles and the pure cores' layers are import-linter's contracts
(pyproject.toml, run by ``make lint``); this checks what those cannot say:
the order of the top-level packages, with the site's composition root
(URLs, routing, ASGI/WSGI, the dashboard) the only part that imports every app.
"""

from __future__ import annotations

import grimp

ORDER = ("domain", "simulator", "escalator_site", "inventory", "planner", "executor", "sandbox")
COMPOSITION_ROOT = {f"escalator_site.{m}" for m in ("urls", "api_urls", "routing", "asgi", "wsgi", "views")}


def _package_edges() -> set[tuple[str, str]]:
    graph = grimp.build_graph(*ORDER, cache_dir=None)
    edges = set()
    for module in graph.modules:
        if module in COMPOSITION_ROOT:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = module.split(".")[0], imported.split(".")[0]
            if a != b and b in ORDER:
                edges.add((a, b))
    return edges


def test_every_package_imports_only_those_below_it():
    rank = {name: i for i, name in enumerate(ORDER)}
    upward = sorted((a, b) for a, b in _package_edges() if rank[b] > rank[a])
    assert upward == [], f"imports against the order {' < '.join(ORDER)}: {upward}"


def test_the_simulator_and_the_domain_stand_alone():
    edges = _package_edges()
    assert {b for a, b in edges if a == "domain"} == set()
    assert {b for a, b in edges if a == "simulator"} <= {"domain"}
