"""The user's profile page: their memberships, and which one is their default tenant.

Not a tenant page (``TenantViewMixin``): it lists the user's own memberships
in every tenant, and nothing else — no tenant's rows.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views import View

from .models import Membership
from .pages import PageForm
from .tenancy import make_default


class DefaultTenantForm(PageForm):
    membership = forms.ModelChoiceField(
        label="Default tenant",
        queryset=Membership.objects.none(),
        empty_label=None,
        help_text="API calls without an X-Tenant-ID header (Krill clients) and your first page after login use it.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the user's own memberships: another user's membership id is "not a valid choice".
        field = self.fields["membership"]
        field.queryset = Membership.objects.filter(user=user).select_related("tenant").order_by("tenant__name")
        field.label_from_instance = lambda m: f"{m.tenant.name} ({m.get_role_display()})"
        field.initial = next((m.pk for m in field.queryset if m.is_default), None)


class ProfileView(LoginRequiredMixin, View):
    template_name = "portal/profile.html"

    def get(self, request):
        return self.render(DefaultTenantForm(user=request.user))

    def post(self, request):
        form = DefaultTenantForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render(form, status=400)
        membership = make_default(form.cleaned_data["membership"])
        messages.success(request, f"{membership.tenant.name} is now your default tenant.")
        return redirect("profile")

    def render(self, form, status=200):
        memberships = form.fields["membership"].queryset
        return TemplateResponse(
            self.request, self.template_name, {"form": form, "memberships": memberships}, status=status
        )
