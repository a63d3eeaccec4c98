"""Forms of the device pages: one action on one CPE, and one action on many (a batch)."""

from __future__ import annotations

from django import forms

from portal.pages import PageForm
from portal.roles import allowed_actions

from .actions import KINDS, kind_spec

# One page of selected rows, or a filter: a batch from the page never asks for more at once.
MAX_SELECTED = 1000


def action_choices(role: str | None) -> list[tuple[str, str]]:
    """The actions ``role`` may run, labelled, in Krill's order (the select of the bulk bar)."""
    return [(kind, kind_spec(kind).label) for kind in allowed_actions(role)]


class CpeIdsField(forms.Field):
    """Checked rows of the device table: ``cpe=1&cpe=2`` → ``[1, 2]`` (ids are re-checked against the tenant)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        try:
            ids = [int(v) for v in values]
        except (TypeError, ValueError):
            raise forms.ValidationError("Select devices from the list.") from None
        return list(dict.fromkeys(ids))

    def validate(self, value: list[int]) -> None:
        super().validate(value)
        if len(value) > MAX_SELECTED:
            raise forms.ValidationError(f"Select at most {MAX_SELECTED} devices, or use “all matching the filters”.")


class BulkActionForm(PageForm):
    """The bulk action bar: which action, on the checked rows or on everything the filters match."""

    kind = forms.ChoiceField(label="Action")
    cpe = CpeIdsField(label="Devices", required=False)
    all_matching = forms.BooleanField(label="All devices matching the filters", required=False)
    # The list's query string when all_matching is set (family=halny&status=offline...).
    query = forms.CharField(required=False, widget=forms.HiddenInput, max_length=1000)
    # The number of devices the confirmation dialog showed; a destructive batch over many devices needs it.
    confirm_count = forms.IntegerField(required=False, min_value=0, max_value=10**9, widget=forms.HiddenInput)

    def __init__(self, *args, role: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = action_choices(role)

    def clean(self):
        data = super().clean()
        if not data.get("all_matching") and not data.get("cpe"):
            raise forms.ValidationError("Select at least one device.")
        return data


class DeviceActionForm(PageForm):
    """One action on the device page (the kind comes from the URL; parameters are not asked for in the UI)."""

    kind = forms.ChoiceField(choices=[(kind, spec.label) for kind, spec in KINDS.items()], label="Action")
