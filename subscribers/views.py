"""Subscriber pages (server-rendered; htmx for search and live panels).

Views validate with forms and delegate every change to
:mod:`subscribers.services`; the page gate (:class:`TenantViewMixin`)
checks the role and scopes every query to the active tenant, so a foreign
subscriber answers 404 like a missing one. The detail page's panels come
from :mod:`subscribers.panels`, where billing, support and devices add theirs.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import DetailView

from portal.pages import FilteredListView, HtmxPartialMixin, TenantViewMixin, fragment_response

from . import extensions, services
from .filters import SubscriberPageFilter
from .forms import SubscriberStatusForm
from .models import Subscriber
from .panels import get_panel, subscriber_panels

# --- subscribers ---------------------------------------------------------------


class SubscriberListView(FilteredListView):
    """Search as you type; htmx asks for the ``results`` partial and pushes the URL."""

    permission = "subscribers.view"
    model = Subscriber
    template_name = "subscribers/subscriber_list.html"
    context_object_name = "subscribers"
    filterset_class = SubscriberPageFilter

    def list_rows(self, matching):
        # Plan and balance (billing), CPE count (devices): subqueries those apps register, so the
        # page costs the same queries for 5 or 50 rows.
        return extensions.annotate("page", matching).order_by("surname", "name", "id")


class SubscriberDetailView(TenantViewMixin, HtmxPartialMixin, DetailView):
    """Contact, service and whatever panels the other apps registered (devices, tickets, billing)."""

    permission = "subscribers.view"
    model = Subscriber
    template_name = "subscribers/subscriber_detail.html"
    context_object_name = "subscriber"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["panels"] = subscriber_panels(self.object, self.request, self.role)
        return context


class SubscriberPanelView(TenantViewMixin, View):
    """One panel of a subscriber page on its own: htmx refreshes the live ones (the CPEs every 30 s)."""

    permission = "subscribers.view"
    panel_name = ""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        subscriber = get_object_or_404(self.scoped(Subscriber), pk=pk)
        panel = get_panel(self.panel_name)
        if panel is None or not panel.allowed(self.role):
            raise Http404("No such panel.")
        context = {"subscriber": subscriber, "panel": panel.bind(subscriber, request)}
        return fragment_response(request, panel.template, context)


class SubscriberStatusView(TenantViewMixin, View):
    """POST: suspend or activate the subscriber's service (subscribers.services)."""

    permission = "subscribers.change"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        subscriber = get_object_or_404(self.scoped(Subscriber), pk=pk)
        form = SubscriberStatusForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose suspend or activate.")
            return redirect("subscribers:detail", pk=pk)
        detail = form.cleaned_data["detail"]
        try:
            if form.cleaned_data["action"] == "suspend":
                services.suspend_subscriber(subscriber, by=request.user, detail=detail)
            else:
                services.activate_subscriber(subscriber, by=request.user, detail=detail)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{subscriber} is now {subscriber.get_status_display().lower()}.")
        return redirect("subscribers:detail", pk=pk)
