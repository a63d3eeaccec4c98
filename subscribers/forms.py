"""Forms of the subscriber pages. They validate; subscribers.services acts."""

from __future__ import annotations

from django import forms

from portal.pages import PageForm


class SubscriberStatusForm(PageForm):
    """Suspend or activate a subscriber's service (the network follows through a ServiceEvent)."""

    ACTIONS = (("suspend", "Suspend service"), ("activate", "Activate service"))

    action = forms.ChoiceField(label="Action", choices=ACTIONS)
    detail = forms.CharField(
        label="Reason (for the audit trail)",
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "e.g. requested by the subscriber"}),
    )
