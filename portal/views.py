"""Page views of the portal package: the dashboard and the tenant switcher (the page gate is in portal.pages)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from .dashboard import dashboard_tiles
from .inputs import parse_id
from .pages import HtmxPartialMixin, TenantViewMixin
from .tenancy import switch_tenant

__all__ = ["DashboardView", "SwitchTenantView", "TenantViewMixin"]


class DashboardView(TenantViewMixin, HtmxPartialMixin, TemplateView):
    template_name = "portal/dashboard.html"
    # htmx polling asks for the tiles only (partial of the same template).
    htmx_partial = "tiles"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tiles"] = dashboard_tiles(self.tenant, self.role)
        context["refresh_seconds"] = settings.NOC_DASHBOARD_REFRESH_SECONDS
        return context


class SwitchTenantView(LoginRequiredMixin, View):
    """POST from the top-bar switcher; remembers the choice in the session."""

    def post(self, request):
        tenant_id = parse_id(request.POST.get("tenant", ""))  # 23 digits overflowed the query (a 500)
        if tenant_id is None:
            return HttpResponseBadRequest("Choose a tenant.")
        if not switch_tenant(request, tenant_id):
            raise PermissionDenied("You are not a member of that tenant.")
        next_url = request.POST.get("next") or "/"
        if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
            next_url = "/"
        return redirect(next_url)
