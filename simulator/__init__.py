"""Escalator's simulator: how long a plan takes and what each VNF suffers, before anything moves.

A pure SimPy package (nothing from Django or openstacksdk):

- ``simulator.params.SimParams``: every parameter (Nova's live-migration
  settings, network, duration distributions, failures, failure policy),
  with ``from_dict`` / ``to_dict`` for forms and JSON.
- ``simulator.migration``: the pre-copy live-migration model in closed form,
  with Nova's downtime steps and completion timeout; ``python -m
  simulator.migration --help`` runs one migration.
- ``simulator.engine.simulate(snapshot, plan, params, seed) -> RunResult``.
- ``simulator.montecarlo.monte_carlo(snapshot, plan, params, runs, seed,
  processes, progress) -> Summary``.
"""
