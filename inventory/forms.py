from django import forms


class ImportForm(forms.Form):
    file = forms.FileField(help_text="An inventory file in YAML or JSON (see docs/inventory.md).")
    replace = forms.BooleanField(
        required=False, help_text="Replace the stored inventory of a cloud of the same name."
    )
