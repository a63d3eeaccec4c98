"""Device, alert and device-action pages (server-rendered; htmx for search, live panels and progress).

Views validate and delegate: actions are queued only through
:mod:`devices.actions` (``request_action``, ``request_batch``, ``cancel``),
which refuses what a CPE cannot do. The page gate
(:class:`portal.pages.TenantViewMixin`) checks the role and scopes every
query to the active tenant, so a foreign CPE, action or batch answers 404
like a missing one. A role's forbidden action is refused (403) whatever the
page showed.

Progress fragments answer HTTP 286 once the action or batch has finished:
htmx stops polling on that code (NetBox's job-result pattern), and the
finished fragment carries no trigger either.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView

from portal.audit import client_address
from portal.pages import (
    HTMX_STOP_POLLING,
    FilteredListView,
    HtmxPartialMixin,
    TenantViewMixin,
    fragment_response,
    require,
    wants_fragment,
)
from portal.roles import allowed_actions

from . import actions as engine
from . import selectors
from .actions.request import BatchNotConfirmed
from .choices import ActionKind, ActionSource, DeviceFamily, Tech
from .filters import LIVE_STATES, ActionPageFilter, DevicePageFilter
from .forms import BulkActionForm, DeviceActionForm, action_choices
from .models import ActionBatch, Alert, AlertKind, AlertSeverity, Cpe, DeviceAction, DeviceModel
from .vendors import vendor

# How often the live panels ask for fresh data (s); the poller writes every NOC_POLL_INTERVAL_SECONDS.
LIVE_REFRESH_S = 5
PROGRESS_REFRESH_S = 1


# --- devices ---------------------------------------------------------------------


class DeviceListView(FilteredListView):
    """The fleet: filters, search as you type, selectable rows and the bulk action bar."""

    permission = "devices.view"
    model = Cpe
    template_name = "devices/device_list.html"
    context_object_name = "cpes"
    filterset_class = DevicePageFilter
    per_page_param = True
    deferred_join = True

    def list_rows(self, matching):
        return selectors.device_rows(matching)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            families=DeviceFamily.choices,
            techs=Tech.choices,
            live_states=LIVE_STATES,
            device_models=DeviceModel.objects.order_by("family", "name"),
            bulk_actions=action_choices(self.role),
            filter_query=query.urlencode(),
        )
        return context


class DeviceDetailView(TenantViewMixin, HtmxPartialMixin, DetailView):
    """One CPE: identity, live status, signal history, WANs, clients, SIP, drift, actions."""

    permission = "devices.view"
    model = Cpe
    template_name = "devices/device_detail.html"
    context_object_name = "cpe"

    # Panels that reload themselves when an action on the page finishes (HX-Trigger: action-finished).
    PANELS = ("history", "drift")

    def get_queryset(self):
        return self.scoped(Cpe).select_related("model", "customer", "state", "profile")

    def get_template_names(self) -> list[str]:
        panel = self.request.GET.get("panel")
        if wants_fragment(self.request) and panel in self.PANELS:
            return [f"{self.template_name}#{panel}"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cpe: Cpe = self.object
        context.update(live_context(cpe))
        context.update(
            chart=selectors.signal_chart(cpe),
            drift=selectors.latest_drift(self.tenant, cpe),
            history=selectors.cpe_actions(self.tenant, cpe).select_related("requested_by")[:10],
            buttons=action_buttons(cpe, self.role),
            can_open_ticket=self.can("tickets.change") and cpe.customer_id is not None,
            live_refresh_s=LIVE_REFRESH_S,
        )
        return context


def live_context(cpe: Cpe) -> dict[str, Any]:
    state = selectors.state_of(cpe)
    wan = state.wan if state else []
    return {
        "state": state,
        "open_alerts": list(Alert.objects.filter(cpe=cpe, closed__isnull=True).order_by("-opened", "-id")),
        # ONTs report every WAN slot, most of them unused: the table lists the enabled ones.
        "wan": [w for w in wan if w.get("enabled")],
        "wan_disabled": sum(1 for w in wan if not w.get("enabled")),
        "clients": state.clients if state else [],
        "sip": state.sip if state else [],
        "shows_sip": cpe.tech == Tech.VOIP or cpe.model.pots_ports > 0,
        "shows_wan": vendor(cpe.model.family).shows_wan or bool(state and state.wan),
        "live_refresh_s": LIVE_REFRESH_S,
    }


def _button_style(spec: engine.ActionKindSpec) -> str:
    # Red for what cannot be undone, outlined for a read that changes nothing.
    if spec.danger:
        return "btn-outline-danger"
    return "btn-primary" if spec.mutating else "btn-outline-primary"


def action_buttons(cpe: Cpe, role: str | None) -> list[dict[str, Any]]:
    """One button per action the role may run; ``refused`` says why the device cannot do it (shown disabled)."""
    buttons = []
    for kind in allowed_actions(role):
        spec = engine.kind_spec(kind)
        buttons.append(
            {
                "kind": kind,
                "label": spec.label,
                "refused": selectors.model_refusal(cpe, kind),
                "confirm": spec.confirm,
                "danger": spec.danger,
                "style": _button_style(spec),
            }
        )
    return buttons


class DeviceLiveView(TenantViewMixin, View):
    """The live status panel (htmx, every few seconds), with WAN, clients and SIP as out-of-band swaps."""

    permission = "devices.view"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        cpe = get_object_or_404(self.scoped(Cpe).select_related("model", "state"), pk=pk)
        context = {"cpe": cpe, **live_context(cpe), "oob": True}
        return fragment_response(request, "devices/device_live.html", context)


class DeviceActionCreateView(TenantViewMixin, View):
    """POST: queue one action on one CPE (devices.actions.request_action), then show its live progress."""

    permission = "devices.view"

    def post(self, request: HttpRequest, pk: int, kind: str) -> HttpResponse:
        form = DeviceActionForm({"kind": kind})
        if not form.is_valid():
            raise Http404("No such action.")
        require(self.role, engine.kind_spec(kind).permission)
        cpe = get_object_or_404(self.scoped(Cpe).select_related(*selectors.CPE_RELATED), pk=pk)
        try:
            with transaction.atomic():
                action, _ = engine.request_action(
                    cpe,
                    kind,
                    requested_by=request.user,
                    source=ActionSource.UI,
                    requested_from=client_address(request),
                )
        except engine.ActionRefused as exc:
            if wants_fragment(request):
                context = {"refused": exc.reason, "kind_label": engine.kind_spec(kind).label}
                return fragment_response(request, "devices/_action_refused.html", context)
            messages.error(request, exc.reason)
            return redirect("devices:detail", pk=cpe.pk)
        if wants_fragment(request):
            return fragment_response(request, "devices/_action_progress.html", progress_context(action))
        return redirect("devices:action-detail", pk=action.pk)


# --- alerts ------------------------------------------------------------------------


class AlertListView(FilteredListView):
    """Open alerts, newest first, each linking to its device (``?closed=1``: recently closed too)."""

    permission = "devices.view"
    model = Alert
    template_name = "devices/alert_list.html"
    context_object_name = "alerts"
    filter_params = ("severity", "kind", "closed")

    def list_rows(self, matching):
        alerts = matching.select_related("cpe__model", "cpe__customer").order_by("-opened", "-id")
        params = self.request.GET
        if params.get("closed") != "1":
            alerts = alerts.filter(closed__isnull=True)
        if params.get("severity") in AlertSeverity.values:
            alerts = alerts.filter(severity=params["severity"])
        if params.get("kind") in AlertKind.values:
            alerts = alerts.filter(kind=params["kind"])
        return alerts

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(severities=AlertSeverity.choices, kinds=AlertKind.choices)
        return context


class AlertPanelView(TenantViewMixin, View):
    """The dashboard's open-alerts panel (htmx, refreshed with the tiles)."""

    permission = "devices.view"
    PANEL_SIZE = 8

    def get(self, request: HttpRequest) -> HttpResponse:
        open_alerts = self.scoped(Alert).filter(closed__isnull=True)
        context = {
            "alerts": open_alerts.select_related("cpe__customer").order_by("-opened", "-id")[: self.PANEL_SIZE],
            "open_count": open_alerts.count(),
        }
        return fragment_response(request, "devices/_alert_panel.html", context)


# --- actions and batches --------------------------------------------------------------


class ActionListView(FilteredListView):
    permission = "devices.view"
    model = DeviceAction
    template_name = "devices/action_list.html"
    context_object_name = "actions"
    filterset_class = ActionPageFilter
    per_page_param = True

    def list_rows(self, matching):
        return matching.select_related("cpe__model", "requested_by").order_by("-created", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tab"] = "actions"
        return context


def progress_context(action: DeviceAction) -> dict[str, Any]:
    steps = list(action.steps.order_by("seq"))
    return {"action": action, "steps": steps, "refresh_s": PROGRESS_REFRESH_S}


class ActionDetailView(TenantViewMixin, HtmxPartialMixin, DetailView):
    """One action: who asked what, on which device, and its step log streaming until it finishes."""

    permission = "devices.view"
    model = DeviceAction
    template_name = "devices/action_detail.html"
    context_object_name = "action"

    def get_queryset(self):
        return self.scoped(DeviceAction).select_related("cpe__model", "cpe__customer", "requested_by", "batch")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(progress_context(self.object))
        context["can_cancel"] = not self.object.is_finished and self.can(engine.kind_spec(self.object.kind).permission)
        context["on_action_page"] = True
        return context


class ActionProgressView(TenantViewMixin, View):
    """The progress + step log fragment of one action; 286 once it has finished."""

    permission = "devices.view"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        action = get_object_or_404(self.scoped(DeviceAction).select_related("cpe"), pk=pk)
        status = HTMX_STOP_POLLING if action.is_finished else 200
        context = {**progress_context(action), "on_action_page": request.GET.get("on") == "action"}
        response = fragment_response(request, "devices/_action_progress.html", context, status=status)
        if action.is_finished:
            # The device page's history and drift panels listen for this and reload themselves.
            response["HX-Trigger"] = "action-finished"
        return response


class ActionCancelView(TenantViewMixin, View):
    """POST: cancel a queued action or ask a running one to stop (needs the kind's own permission)."""

    permission = "devices.view"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        action = get_object_or_404(self.scoped(DeviceAction).select_related("cpe"), pk=pk)
        require(self.role, engine.kind_spec(action.kind).permission)
        try:
            engine.cancel(action, by=request.user)
        except engine.ActionFinished as exc:
            messages.info(request, str(exc))
        else:
            messages.success(request, f"Cancellation of action #{action.pk} requested.")
        return redirect("devices:action-detail", pk=action.pk)


class BatchListView(FilteredListView):
    permission = "devices.view"
    model = ActionBatch
    template_name = "devices/batch_list.html"
    context_object_name = "batches"
    per_page_param = True

    def list_rows(self, matching):
        return selectors.batch_rows(matching).select_related("requested_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tab"] = "batches"
        return context


class BatchDetailView(TenantViewMixin, HtmxPartialMixin, DetailView):
    """A batch's progress bar (htmx, every second; 286 when every action has finished) and its actions."""

    permission = "devices.view"
    model = ActionBatch
    template_name = "devices/batch_detail.html"
    htmx_partial = "live"
    context_object_name = "batch"
    ACTIONS_SHOWN = 100

    def get_queryset(self):
        return self.scoped(ActionBatch).select_related("requested_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch: ActionBatch = self.object
        progress = engine.batch_totals(batch)
        context.update(
            progress=progress,
            refresh_s=PROGRESS_REFRESH_S,
            # The polled fragment refreshes the action table too (an out-of-band swap).
            actions=batch.actions.select_related("cpe__model").order_by("cpe_id")[: self.ACTIONS_SHOWN],
            can_cancel=not progress["done"] and self.can(engine.kind_spec(batch.kind).permission),
        )
        if not self.wants_fragment():
            context["skipped"] = selectors.skipped_rows(batch)
        return context

    def render_to_response(self, context, **response_kwargs):
        if self.wants_fragment() and context["progress"]["done"]:
            response_kwargs["status"] = HTMX_STOP_POLLING
        return super().render_to_response(context, **response_kwargs)


class BatchCreateView(TenantViewMixin, View):
    """POST from the bulk action bar: one batch (devices.actions.request_batch) for the checked rows or the filter."""

    permission = "devices.view"

    def post(self, request: HttpRequest) -> HttpResponse:
        form = BulkActionForm(request.POST, role=self.role)
        kind = request.POST.get("kind", "")
        if kind in ActionKind.values:
            # A forged kind the role may not run is a 403, not a form error.
            require(self.role, engine.kind_spec(kind).permission)
        back = reverse("devices:list")
        if not form.is_valid():
            messages.error(request, " ".join(form.errors.get("__all__", [])) or "Choose an action and devices.")
            return redirect(back)
        data = form.cleaned_data
        base = self.scoped(Cpe).select_related(*selectors.CPE_RELATED).prefetch_related("potses")
        missing: list[int] = []
        if data["all_matching"]:
            query = QueryDict(data["query"])
            filterset = DevicePageFilter(query, queryset=base)
            if not filterset.is_valid():
                messages.error(request, "The filters are not valid any more; filter the list again.")
                return redirect(back)
            cpes = list(filterset.qs.order_by("pk")[: engine.MAX_BATCH_IDS])
            selection: dict[str, Any] = {"filter": {k: v for k, v in query.items() if k != "page"}}
            back += f"?{data['query']}" if data["query"] else ""
        else:
            wanted = data["cpe"]
            cpes = list(base.filter(pk__in=wanted))
            found = {c.pk for c in cpes}
            # Ids of another tenant are reported as "no such CPE", like missing ones.
            missing = [i for i in wanted if i not in found]
            selection = {"cpes": wanted}
        if not cpes:
            messages.error(request, "No device matches the selection.")
            return redirect(back)
        try:
            batch = engine.request_batch(
                self.tenant,
                data["kind"],
                cpes,
                missing=missing,
                selection=selection,
                requested_by=request.user,
                source=ActionSource.UI,
                requested_from=client_address(request),
                # The count the confirmation dialog showed (devices.js fills it in).
                confirm_count=data["confirm_count"],
            )
        except BatchNotConfirmed as exc:
            messages.error(request, exc.message)
            return redirect(back)
        return redirect("devices:batch-detail", pk=batch.pk)


class BatchCancelView(TenantViewMixin, View):
    permission = "devices.view"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = get_object_or_404(self.scoped(ActionBatch), pk=pk)
        require(self.role, engine.kind_spec(batch.kind).permission)
        touched = engine.cancel_batch(batch, by=request.user)
        messages.success(request, f"{touched} unfinished action(s) cancelled or asked to stop.")
        return redirect("devices:batch-detail", pk=batch.pk)
