"""Forms of the billing pages. They validate; billing.services acts."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from portal.pages import PageForm

from .choices import PaymentMethod
from .services import month_bounds


class SubscriberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.surname}, {obj.name} (#{obj.pk})" if obj.surname else f"{obj.name} (#{obj.pk})"


class PaymentForm(PageForm):
    """Record a payment. ``idempotency_key`` is a hidden UUID made when the form is shown,
    so a double click or a resubmitted page records the payment once."""

    subscriber = SubscriberChoiceField(label="Subscriber", queryset=None)
    amount = forms.DecimalField(label="Amount", min_value=Decimal("0.01"), max_digits=14, decimal_places=2)
    currency = forms.CharField(label="Currency", max_length=3, initial="EUR")
    method = forms.ChoiceField(label="Method", choices=PaymentMethod.choices, initial=PaymentMethod.BANK_TRANSFER)
    received_on = forms.DateField(label="Received on", widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label="Reference", max_length=120, required=False)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    # Above this many subscribers a drop-down is no use: the form asks for the subscriber's number
    # (the usual way in is "Record payment" on the subscriber's or invoice's page, preselected).
    SELECT_LIMIT = 300

    def __init__(self, *args, subscribers=None, subscriber=None, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", uuid.uuid4())
        kwargs["initial"].setdefault("received_on", date.today())
        super().__init__(*args, **kwargs)
        # Only the tenant's subscribers: another tenant's id is "not a valid choice".
        field = self.fields["subscriber"]
        field.queryset = subscribers
        field.empty_label = "Choose a subscriber"
        self.preselected = subscriber
        if subscriber is not None:
            field.widget = forms.HiddenInput()
        elif subscribers is not None and subscribers.count() > self.SELECT_LIMIT:
            field.widget = forms.NumberInput(attrs={"class": "form-control", "min": 1})
            field.label = "Subscriber number"
            field.help_text = "The # shown on the subscriber's page."

    def clean_currency(self) -> str:
        value = self.cleaned_data["currency"].strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise ValidationError("Use an ISO 4217 code such as EUR or USD.")
        return value


class BillingRunForm(PageForm):
    period = forms.CharField(
        label="Month to invoice",
        max_length=7,
        widget=forms.DateInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
        help_text="Every subscriber with a plan in that month gets one invoice; running it again is safe.",
    )

    def clean_period(self) -> str:
        value = self.cleaned_data["period"].strip()
        try:
            month_bounds(value)
        except ValidationError as exc:
            # The service speaks per field ({"period": ...}); this is the field's own error.
            raise ValidationError(exc.message_dict.get("period", exc.messages)) from exc
        return value
