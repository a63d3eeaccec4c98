"""Support ticket pages: the queues, a ticket with its timeline and inline changes, opening a ticket.

Views validate with forms and delegate every change to
:mod:`support.services`; the page gate (:class:`TenantViewMixin`) checks the
role and scopes every query to the active tenant, so a foreign ticket
answers 404 like a missing one. A ticket opened from a device page gets the
device's latest polled state as an internal note
(:func:`support.selectors.cpe_state_snapshot`).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views import View

from devices.models import Cpe
from portal.inputs import parse_id
from portal.pages import FilteredListView, TenantViewMixin, page_response, wants_fragment
from subscribers.models import Subscriber

from . import services
from .choices import TicketStatus
from .filters import TicketQueueFilter
from .forms import TicketChangeForm, TicketCommentForm, TicketCreateForm
from .models import Ticket, TicketComment, TicketEvent
from .selectors import OPEN_STATUSES, cpe_state_snapshot, ticket_queue

QUEUES = (
    ("mine", "Mine"),
    ("unassigned", "Unassigned"),
    ("open", "All open"),
    ("priority", "By priority"),
    ("all", "All"),
)


class TicketListView(FilteredListView):
    """The ticket queues: a tab per queue (badges counted in one query), search and priority within it."""

    permission = "tickets.view"
    model = Ticket
    template_name = "support/ticket_list.html"
    context_object_name = "tickets"
    filterset_class = TicketQueueFilter

    def get_queue(self) -> str:
        queue = self.request.GET.get("queue", "")
        if queue in dict(QUEUES):
            return queue
        # Agents land on their own work; everyone else on what is open.
        return "mine" if self.can("tickets.change") else "open"

    def list_rows(self, matching):
        return ticket_queue(matching, self.get_queue(), self.request.user).select_related(
            "subscriber", "assignee", "cpe"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        base = self.scoped(Ticket).filter(status__in=OPEN_STATUSES)
        # One aggregate for every tab's badge.
        counts = base.aggregate(
            mine=Count("pk", filter=Q(assignee=self.request.user)),
            unassigned=Count("pk", filter=Q(assignee__isnull=True)),
            open=Count("pk"),
        )
        counts["priority"] = counts["open"]
        context.update(
            queue=self.get_queue(),
            queues=[(key, label, counts.get(key)) for key, label in QUEUES],
        )
        return context


class TicketPageMixin(TenantViewMixin):
    """What the ticket page and its inline actions share: the ticket and the page context."""

    permission = "tickets.view"

    def get_ticket(self, pk: int) -> Ticket:
        return get_object_or_404(
            self.scoped(Ticket).select_related("subscriber", "assignee", "created_by", "cpe__model", "cpe__state"),
            pk=pk,
        )

    def ticket_context(self, ticket: Ticket, **forms) -> dict:
        comments = TicketComment.objects.filter(ticket=ticket).select_related("author")
        events = TicketEvent.objects.filter(ticket=ticket).select_related("actor")
        timeline = sorted(
            [("comment", c.created, c) for c in comments] + [("event", e.created, e) for e in events],
            key=lambda item: item[1],
        )
        can_change = self.can("tickets.change")
        return {
            "ticket": ticket,
            "timeline": timeline,
            "comment_count": sum(1 for kind, _, _ in timeline if kind == "comment"),
            "can_change": can_change,
            "change_form": forms.get("change_form")
            or TicketChangeForm(
                tenant=self.tenant,
                initial={"status": ticket.status, "priority": ticket.priority, "assignee": ticket.assignee_id},
            ),
            "comment_form": forms.get("comment_form") or TicketCommentForm(),
            "status_choices": allowed_statuses(ticket),
            "is_open": ticket.status in OPEN_STATUSES,
            "flash": forms.get("flash", ""),
        }

    def render_ticket(self, request: HttpRequest, ticket: Ticket, status: int = 200, **forms) -> HttpResponse:
        context = self.ticket_context(ticket, **forms)
        return page_response(request, "support/ticket_detail.html", context, partial="ticket", status=status)

    def done(self, request: HttpRequest, ticket: Ticket, message: str) -> HttpResponse:
        """After a change: the refreshed ticket fragment for htmx, a redirect (PRG) for a plain form."""
        if wants_fragment(request):
            fresh = self.get_ticket(ticket.pk)
            return self.render_ticket(request, fresh, flash=message)
        messages.success(request, message)
        return redirect("tickets:detail", pk=ticket.pk)


def allowed_statuses(ticket: Ticket) -> list[tuple[str, str]]:
    """The statuses the ticket may move to from here (and its own), for the status select."""
    allowed = services.TICKET_TRANSITIONS[ticket.status] | {ticket.status}
    return [(value, label) for value, label in TicketStatus.choices if value in allowed]


class TicketDetailView(TicketPageMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render_ticket(request, self.get_ticket(pk))


class TicketChangeView(TicketPageMixin, View):
    """POST: status, priority, assignee (inline, htmx)."""

    permission = "tickets.change"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = self.get_ticket(pk)
        form = TicketChangeForm(request.POST, tenant=self.tenant)
        if not form.is_valid():
            return self.render_ticket(request, ticket, status=self.invalid_status(request), change_form=form)
        data = form.cleaned_data
        try:
            services.update_ticket(
                ticket, by=request.user, status=data["status"], priority=data["priority"], assignee=data["assignee"]
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return self.render_ticket(request, ticket, status=self.invalid_status(request), change_form=form)
        return self.done(request, ticket, "Ticket updated.")

    @staticmethod
    def invalid_status(request: HttpRequest) -> int:
        # htmx swaps only 2xx answers by default; a plain form post gets a real 400.
        return 200 if wants_fragment(request) else 400


class TicketTakeView(TicketPageMixin, View):
    """POST: assign the ticket to me (the queue's "Take" button)."""

    permission = "tickets.change"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = self.get_ticket(pk)
        services.update_ticket(ticket, by=request.user, assignee=request.user)
        return self.done(request, ticket, "The ticket is yours.")


class TicketCommentView(TicketPageMixin, View):
    """POST: a reply or an internal note."""

    permission = "tickets.change"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = self.get_ticket(pk)
        form = TicketCommentForm(request.POST)
        if not form.is_valid():
            return self.render_ticket(
                request, ticket, status=TicketChangeView.invalid_status(request), comment_form=form
            )
        services.add_comment(
            ticket, body=form.cleaned_data["body"], author=request.user, internal=form.cleaned_data["internal"]
        )
        return self.done(request, ticket, "Internal note added." if form.cleaned_data["internal"] else "Reply added.")


class TicketCreateView(TenantViewMixin, View):
    """Open a ticket for a subscriber (``?subscriber=``), optionally about one of their CPEs (``?cpe=``).

    Device pages link here with ``?cpe=`` alone; the subscriber is then the
    CPE's. The device's latest polled state goes into an internal note.
    """

    permission = "tickets.change"
    template_name = "support/ticket_form.html"

    def target(self, request: HttpRequest) -> tuple[Subscriber, Cpe | None]:
        params = request.POST if request.method == "POST" else request.GET
        cpe = None
        cpe_id, subscriber_id = params.get("cpe", ""), params.get("subscriber", "")
        if cpe_id:
            cpe = get_object_or_404(self.scoped(Cpe).select_related("model"), pk=_int_or_404(cpe_id))
            if not subscriber_id and cpe.customer_id:
                subscriber_id = str(cpe.customer_id)
        if not subscriber_id:
            raise Http404("Open a ticket from a subscriber's or a device's page.")
        subscriber = get_object_or_404(self.scoped(Subscriber), pk=_int_or_404(subscriber_id))
        if cpe is not None and cpe.customer_id not in (None, subscriber.pk):
            raise Http404("This device belongs to another subscriber.")
        return subscriber, cpe

    def get(self, request: HttpRequest) -> HttpResponse:
        subscriber, cpe = self.target(request)
        form = TicketCreateForm(cpes=self.cpes_of(subscriber), initial={"cpe": cpe.pk if cpe else None})
        return self.render(request, form, subscriber, cpe)

    def post(self, request: HttpRequest) -> HttpResponse:
        subscriber, cpe = self.target(request)
        form = TicketCreateForm(request.POST, cpes=self.cpes_of(subscriber))
        if not form.is_valid():
            return self.render(request, form, subscriber, cpe, status=400)
        data = form.cleaned_data
        try:
            ticket = services.create_ticket(
                self.tenant,
                subject=data["subject"],
                description=data["description"],
                priority=data["priority"],
                subscriber=subscriber,
                cpe=data["cpe"],
                assignee=request.user if data["assign_to_me"] else None,
                by=request.user,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return self.render(request, form, subscriber, cpe, status=400)
        snapshot = cpe_state_snapshot(data["cpe"]) if data["cpe"] else ""
        if snapshot:
            services.add_comment(ticket, body=snapshot, author=request.user, internal=True)
        messages.success(request, f"Ticket #{ticket.pk} opened.")
        return redirect("tickets:detail", pk=ticket.pk)

    def cpes_of(self, subscriber: Subscriber):
        return self.scoped(Cpe).filter(customer=subscriber).select_related("model").order_by("id")

    def render(self, request, form, subscriber, cpe, status: int = 200) -> HttpResponse:
        context = {
            "form": form,
            "subscriber": subscriber,
            "cpe": cpe,
            "cancel_url": reverse("subscribers:detail", args=[subscriber.pk]),
        }
        return TemplateResponse(request, self.template_name, context, status=status)


def _int_or_404(value: str) -> int:
    pk = parse_id(value)
    if pk is None:
        raise Http404("Not a valid id.")
    return pk
