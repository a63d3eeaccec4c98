"""Forms of the ticket pages. They validate; support.services acts."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from portal.models import Membership
from portal.pages import PageForm
from portal.roles import role_can

from .choices import TicketPriority, TicketStatus


def ticket_workers(tenant):
    """Members of the tenant whose role may work tickets (the assignee choices)."""
    user_ids = [
        m.user_id
        for m in Membership.objects.filter(tenant=tenant).only("user_id", "role")
        if role_can(m.role, "tickets.change")
    ]
    return get_user_model().objects.filter(pk__in=user_ids).order_by("username")


class AssigneeField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        full = obj.get_full_name()
        return f"{full} ({obj.username})" if full else obj.username


class TicketCreateForm(PageForm):
    subject = forms.CharField(label="Subject", max_length=200)
    description = forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 5}))
    priority = forms.ChoiceField(label="Priority", choices=TicketPriority.choices, initial=TicketPriority.NORMAL)
    cpe = forms.ModelChoiceField(label="Device (CPE)", queryset=None, required=False, empty_label="No device")
    assign_to_me = forms.BooleanField(label="Assign to me", required=False, initial=True)

    def __init__(self, *args, cpes=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the subscriber's own CPEs: a foreign or someone else's id is "not a valid choice".
        self.fields["cpe"].queryset = cpes


class TicketChangeForm(PageForm):
    """Status, priority and assignee, changed inline on the ticket page."""

    status = forms.ChoiceField(label="Status", choices=TicketStatus.choices)
    priority = forms.ChoiceField(label="Priority", choices=TicketPriority.choices)
    assignee = AssigneeField(label="Assignee", queryset=None, required=False, empty_label="Unassigned")

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = ticket_workers(tenant)


class TicketCommentForm(PageForm):
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 3}))
    internal = forms.BooleanField(label="Internal note (staff only)", required=False)
