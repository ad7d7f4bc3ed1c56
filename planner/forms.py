from __future__ import annotations

from django import forms

from domain.plan import ActionKind
from planner.options import MAX_TIME_BUDGET_S, PlanOptions
from planner.simulation import MAX_SEED
from planner.strategies import STRATEGIES

ACTION_CHOICES = [(kind.value, kind.value) for kind in ActionKind]


# One set of defaults for the web, the command line and the API: PlanOptions'.
DEFAULTS = PlanOptions()


class PlanBuilderForm(forms.Form):
    name = forms.CharField(required=False, max_length=200,
                           help_text="Free text; empty: the strategy and the time.")
    strategy = forms.ChoiceField(choices=[(name, name) for name in STRATEGIES],
                                 help_text="How waves are formed: see the strategies below.")
    hosts_per_wave = forms.IntegerField(
        min_value=1, initial=DEFAULTS.hosts_per_wave, label="Hosts per wave",
        help_text="Most hosts upgraded at once, in hosts (serial always takes 1).")
    concurrent_migrations = forms.IntegerField(
        min_value=0, initial=DEFAULTS.concurrent_migrations, label="Concurrent migrations",
        help_text="Most live migrations in flight across the cloud, in migrations "
                  "(0: no cloud-wide limit; one outgoing per host always holds).")
    az_share = forms.FloatField(
        min_value=0.01, max_value=1.0, initial=DEFAULTS.az_share, label="Share of an AZ at once",
        help_text="Most hosts of one availability zone out at once, as a fraction 0.01–1 of its "
                  "hosts (0.25: a quarter; at least one host).")
    aggregate_share = forms.FloatField(
        min_value=0.01, max_value=1.0, initial=DEFAULTS.aggregate_share,
        label="Share of an aggregate at once",
        help_text="The same for a host aggregate, as a fraction 0.01–1 of its hosts.")
    allowed_actions = forms.MultipleChoiceField(
        choices=ACTION_CHOICES, widget=forms.CheckboxSelectMultiple,
        initial=sorted(kind.value for kind in DEFAULTS.allowed_actions),
        help_text="What may be done to a server: switchover (to its VNF's standby), "
                  "live-migrate, cold-migrate, stay (left on its host through the upgrade: down "
                  "for the host's reboot), stop-start (stopped, started again after: an outage "
                  "for the whole host upgrade, only where allowed).",
    )
    time_budget_s = forms.FloatField(
        min_value=0, max_value=MAX_TIME_BUDGET_S, initial=DEFAULTS.time_budget_s,
        label="Search budget (s)",
        help_text=f"Wall-clock cap of the optimized strategy's search, in seconds "
                  f"(0–{MAX_TIME_BUDGET_S:.0f}); the other strategies do not search.")

    def options(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("name")
        data.pop("strategy")
        return data


class SimulateForm(forms.Form):
    runs = forms.IntegerField(min_value=1, max_value=1000, initial=20,
                              help_text="Monte Carlo runs (1–1000).")
    seed = forms.IntegerField(min_value=0, max_value=MAX_SEED, initial=0,
                              help_text="Seed of the runs' random draws: the same seed, the same runs.")
    bandwidth_factor = forms.FloatField(min_value=0.01, max_value=100, initial=1.0,
                                        help_text="Migration bandwidth, times the inventory's.")
    live_migration_failure_p = forms.FloatField(
        min_value=0, max_value=1, initial=0.0,
        help_text="Probability (0–1) that one live migration fails.")
    upgrade_failure_p = forms.FloatField(min_value=0, max_value=1, initial=0.0,
                                         help_text="Probability (0–1) that one host's upgrade fails.")

    def params(self) -> dict:
        return {
            key: self.cleaned_data[key]
            for key in ("bandwidth_factor", "live_migration_failure_p", "upgrade_failure_p")
        }

    def initial_values(self) -> dict:
        return {name: field.initial for name, field in self.fields.items()}


class CommentForm(forms.Form):
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class MoveHostForm(forms.Form):
    host = forms.CharField()
    wave = forms.IntegerField(min_value=1)
