"""The operator's knobs for planning, as one frozen object.

``PlanOptions`` travels inside a plan (``Plan.options`` holds its ``to_dict``)
so that the validator, the simulator and the export see the limits the plan
was made under.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from domain.plan import ActionKind
from planner.windows import Schedule, parse_schedule
from simulator.params import SimParams

# Stop/start takes a service down for a whole host upgrade: only where the
# operator allows it explicitly (the seed's rule).
DEFAULT_ALLOWED_ACTIONS = frozenset(
    {ActionKind.SWITCHOVER, ActionKind.LIVE_MIGRATE, ActionKind.COLD_MIGRATE, ActionKind.STAY}
)


# What active alerts hold the next host (executor/alarms.py keeps the same three).
ALARM_MODES = ("strict", "relaxed", "off")

# No reply from a VNF manager by the deadline: go on as planned, or pause.
VNFM_TIMEOUTS = ("proceed", "pause")

# The longest soak a plan may ask for between waves.
MAX_SOAK_S = 24 * 3600.0

# The longest search one planning run or what-if may ask for.
MAX_TIME_BUDGET_S = 120.0
# The most candidate plans one search may evaluate.
MAX_EVALUATIONS = 100_000


@dataclass(frozen=True)
class PlanOptions:
    """Limits and preferences of one planning run.

    - ``hosts_per_wave``: most hosts upgraded at once (serial always uses 1).
    - ``concurrent_migrations``: most live migrations in flight across the
      cloud at once (``0`` = no cloud-wide limit; Nova's per-host limit of
      one outgoing migration still applies in the simulator).
    - ``az_share`` / ``aggregate_share``: most hosts of one availability zone
      / host aggregate out at once, as a fraction of its hosts (always at
      least one host).
    - ``allowed_actions``: what may be done to a server.
    - ``keep_az``: migrations stay inside the server's availability zone
      (servers booted into an AZ are pinned to it by Nova).
    - ``evaluations``: candidate plans the ``optimized`` search builds and
      scores (``0`` = by the cloud's size, ``search_evaluations``). The
      search is counted, not timed, so the same inputs give the same plan.
    - ``time_budget_s``: wall-clock cap of the ``optimized`` search; a plan
      whose search it cut short says so in its warnings.
    - ``seed``: seed of the search's random choices (reproducible plans).
    - ``alarm_mode``: what active alerts of the Alertmanager hold the next
      host while executing (executor/alarms.py): ``strict`` (every alert),
      ``relaxed`` (severity critical or major), ``off``.
    - ``alarm_ignore``: alert names that never hold a host.
    - ``maintenance_windows``, ``window_exclusions``, ``window_timezone``:
      when hosts may start (planner/windows.py); none: any time.
    - ``canary``: the first wave is a canary: after it the execution soaks
      ``canary_soak_s`` and checks the cloud's health before any other wave.
    - ``soak_s``: the wait (with the alarm gate and a health check) between
      the later waves.
    - ``vnfm_reply_s``: how long a VNF manager has to answer a maintenance
      notification (a VNF's ``lead_time_s`` may ask for more; docs/vnfm.md).
    - ``vnfm_timeout``: no reply by then: ``proceed`` with the plan's own
      actions, or ``pause`` the execution with the cause.
    """

    hosts_per_wave: int = 10
    concurrent_migrations: int = 0
    az_share: float = 1.0
    aggregate_share: float = 0.5
    allowed_actions: frozenset[ActionKind] = field(default=DEFAULT_ALLOWED_ACTIONS)
    keep_az: bool = True
    evaluations: int = 0
    time_budget_s: float = 5.0
    seed: int = 0
    alarm_mode: str = "strict"
    alarm_ignore: tuple[str, ...] = ()
    maintenance_windows: tuple[Mapping[str, Any], ...] = field(default=(), hash=False)
    window_exclusions: tuple[Mapping[str, Any], ...] = field(default=(), hash=False)
    window_timezone: str = "UTC"
    canary: bool = False
    canary_soak_s: float = 0.0
    soak_s: float = 0.0
    vnfm_reply_s: float = 300.0
    vnfm_timeout: str = "proceed"

    def __post_init__(self) -> None:
        problems = []
        if self.hosts_per_wave < 1:
            problems.append("hosts_per_wave must be at least 1")
        if self.concurrent_migrations < 0:
            problems.append("concurrent_migrations must be 0 (no limit) or more")
        for name in ("az_share", "aggregate_share"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                problems.append(f"{name} must be in (0, 1], got {value}")
        if not 0 <= self.evaluations <= MAX_EVALUATIONS:
            problems.append(f"evaluations must be 0 (by size) to {MAX_EVALUATIONS}, "
                            f"got {self.evaluations}")
        if self.time_budget_s < 0:
            problems.append("time_budget_s must not be negative")
        elif self.time_budget_s > MAX_TIME_BUDGET_S:
            # A search holds a background worker for its whole budget.
            problems.append(f"time_budget_s must be at most {MAX_TIME_BUDGET_S:g} s, "
                            f"got {self.time_budget_s:g}")
        if self.alarm_mode not in ALARM_MODES:
            problems.append(f"alarm_mode must be one of {', '.join(ALARM_MODES)}, "
                            f"got {self.alarm_mode!r}")
        if isinstance(self.alarm_ignore, str) or not all(
                isinstance(n, str) and n for n in self.alarm_ignore):
            problems.append("alarm_ignore must be a list of alert names")
        for name in ("canary_soak_s", "soak_s"):
            if not 0 <= getattr(self, name) <= MAX_SOAK_S:
                problems.append(f"{name} must be 0 to {MAX_SOAK_S:g} s, got {getattr(self, name)}")
        if not 0 < self.vnfm_reply_s <= MAX_SOAK_S:
            problems.append(f"vnfm_reply_s must be more than 0 and at most {MAX_SOAK_S:g} s, "
                            f"got {self.vnfm_reply_s}")
        if self.vnfm_timeout not in VNFM_TIMEOUTS:
            problems.append(f"vnfm_timeout must be one of {', '.join(VNFM_TIMEOUTS)}, "
                            f"got {self.vnfm_timeout!r}")
        try:
            parse_schedule(self.maintenance_windows, self.window_exclusions, self.window_timezone)
        except (ValueError, TypeError) as exc:
            problems.append(str(exc))
        if problems:
            raise ValueError("; ".join(problems))
        object.__setattr__(self, "alarm_ignore", tuple(self.alarm_ignore))
        object.__setattr__(self, "maintenance_windows",
                           tuple(dict(w) for w in self.maintenance_windows))
        object.__setattr__(self, "window_exclusions",
                           tuple(dict(w) for w in self.window_exclusions))
        # Accept plain strings from forms and files.
        object.__setattr__(
            self, "allowed_actions", frozenset(ActionKind(a) for a in self.allowed_actions)
        )

    def schedule(self) -> Schedule:
        """The maintenance windows as a schedule (always open when there are none)."""
        return parse_schedule(self.maintenance_windows, self.window_exclusions,
                              self.window_timezone)

    def soak_before(self, wave: int) -> float:
        """The soak before wave ``wave`` (0-based): after the canary, or between waves."""
        if wave == 0:
            return 0.0
        if wave == 1 and self.canary:
            return self.canary_soak_s
        return self.soak_s

    def simulated(self, params: SimParams, given: Iterable[str] = (),
                  start: datetime | None = None) -> SimParams:
        """``params`` with this policy's soaks, VNF managers' reply deadline and, for a
        run begun at ``start``, its maintenance windows, unless ``given`` names them (a
        what-if's own)."""
        given = set(given)
        canary = params.canary_soak_s if "canary_soak_s" in given else self.soak_before(1)
        soak = params.soak_s if "soak_s" in given else self.soak_s
        windows = params.windows
        if start is not None and "windows" not in given:
            windows = self.schedule().intervals(start)
        # The VNF managers' reply deadline (a VNF's lead_time_s overrides it).
        deadline = (params.vnfm_reply_deadline_s if "vnfm_reply_deadline_s" in given
                    else self.vnfm_reply_s)
        return replace(params, canary_soak_s=canary, soak_s=soak, windows=windows,
                       vnfm_reply_deadline_s=deadline)

    def allows(self, kind: ActionKind) -> bool:
        return kind in self.allowed_actions

    def with_(self, **changes: Any) -> PlanOptions:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        data["allowed_actions"] = sorted(a.value for a in self.allowed_actions)
        data["alarm_ignore"] = list(self.alarm_ignore)
        data["maintenance_windows"] = [dict(w) for w in self.maintenance_windows]
        data["window_exclusions"] = [dict(w) for w in self.window_exclusions]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> PlanOptions:
        """Options from a dict (a form, a file, ``Plan.options``); unknown keys are errors."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown plan options: {', '.join(unknown)}")
        if "allowed_actions" in data:
            try:
                data["allowed_actions"] = frozenset(ActionKind(a) for a in data["allowed_actions"])
            except ValueError as exc:
                choices = ", ".join(k.value for k in ActionKind)
                raise ValueError(f"allowed_actions: {exc} (choose from {choices})") from exc
        return cls(**data)
