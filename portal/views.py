"""Page views of the portal package (dashboard, tenant switcher) and the page gate."""

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
from .roles import role_can
from .tenancy import switch_tenant


class TenantViewMixin(LoginRequiredMixin):
    """The page gate: every tenant page inherits it.

    It needs a logged-in user with a membership, checks ``permission``
    against the role map, and gives views ``self.tenant`` and
    ``self.scoped(Model)`` (the tenant-filtered manager) so no page queries
    another tenant's rows.
    """

    permission: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        context = request.tenant_context
        if not context:
            raise PermissionDenied("Your account is not a member of any tenant.")
        self.tenant = context.tenant
        self.role = context.role
        if self.permission and not role_can(self.role, self.permission):
            raise PermissionDenied(f"Your role does not allow {self.permission}.")
        return super().dispatch(request, *args, **kwargs)

    def can(self, permission: str) -> bool:
        return role_can(self.role, permission)

    def scoped(self, model):
        return model.objects.for_tenant(self.tenant)

    def get_queryset(self):
        return self.scoped(self.model)


class DashboardView(TenantViewMixin, TemplateView):
    template_name = "portal/dashboard.html"

    def get_template_names(self):
        # htmx polling asks for the tiles only (partial of the same template).
        if self.request.htmx and not self.request.htmx.boosted:
            return ["portal/dashboard.html#tiles"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tiles"] = dashboard_tiles(self.tenant, self.role)
        context["refresh_seconds"] = settings.NOC_DASHBOARD_REFRESH_SECONDS
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        response["Vary"] = "HX-Request"
        return response


class SwitchTenantView(LoginRequiredMixin, View):
    """POST from the top-bar switcher; remembers the choice in the session."""

    def post(self, request):
        try:
            tenant_id = int(request.POST.get("tenant", ""))
        except ValueError:
            return HttpResponseBadRequest("Choose a tenant.")
        if not switch_tenant(request, tenant_id):
            raise PermissionDenied("You are not a member of that tenant.")
        next_url = request.POST.get("next") or "/"
        if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
            next_url = "/"
        return redirect(next_url)
