from __future__ import annotations

from django import forms

from domain.plan import ActionKind
from planner.options import MAX_TIME_BUDGET_S
from planner.simulation import MAX_SEED
from planner.strategies import STRATEGIES

ACTION_CHOICES = [(kind.value, kind.value) for kind in ActionKind]


class PlanBuilderForm(forms.Form):
    name = forms.CharField(required=False, max_length=200)
    strategy = forms.ChoiceField(choices=[(name, name) for name in STRATEGIES])
    hosts_per_wave = forms.IntegerField(min_value=1, initial=4)
    concurrent_migrations = forms.IntegerField(
        min_value=0, initial=0, help_text="Cloud-wide limit (0: none; one per host always holds)."
    )
    az_share = forms.FloatField(min_value=0.01, max_value=1.0, initial=1.0)
    aggregate_share = forms.FloatField(min_value=0.01, max_value=1.0, initial=0.5)
    allowed_actions = forms.MultipleChoiceField(
        choices=ACTION_CHOICES, widget=forms.CheckboxSelectMultiple,
        initial=["switchover", "live-migrate", "cold-migrate", "stay"],
    )
    time_budget_s = forms.FloatField(min_value=0, max_value=MAX_TIME_BUDGET_S, initial=5.0,
                                     label="Search budget (s)")

    def options(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("name")
        data.pop("strategy")
        return data


class SimulateForm(forms.Form):
    runs = forms.IntegerField(min_value=1, max_value=1000, initial=20)
    seed = forms.IntegerField(min_value=0, max_value=MAX_SEED, initial=0)
    bandwidth_factor = forms.FloatField(min_value=0.01, max_value=100, initial=1.0)
    live_migration_failure_p = forms.FloatField(min_value=0, max_value=1, initial=0.0)
    upgrade_failure_p = forms.FloatField(min_value=0, max_value=1, initial=0.0)

    def params(self) -> dict:
        return {
            key: self.cleaned_data[key]
            for key in ("bandwidth_factor", "live_migration_failure_p", "upgrade_failure_p")
        }


class CommentForm(forms.Form):
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class MoveHostForm(forms.Form):
    host = forms.CharField()
    wave = forms.IntegerField(min_value=1)
