"""Ticket pages: queues, detail with comments and notes, inline changes, create from a subscriber or device."""

from __future__ import annotations

import pytest
from django.utils import timezone

from devices.models import DeviceState
from portal.choices import Role
from support.choices import TicketEventKind, TicketPriority, TicketStatus
from support.models import Ticket, TicketComment, TicketEvent
from support.services import add_comment, create_ticket, update_ticket
from tests.devices.factories import CpeFactory, SubscriberFactory
from tests.pages.helpers import HTMX, assert_constant_queries, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscriber(tenant_a):
    return SubscriberFactory(tenant=tenant_a, name="Ewa", surname="Lis")


@pytest.fixture
def ticket(tenant_a, subscriber):
    return create_ticket(tenant_a, subject="No internet since Monday", subscriber=subscriber, description="LOS red")


def test_queues_split_mine_unassigned_and_all(support_user, noc_user, tenant_a, subscriber):
    create_ticket(tenant_a, subject="Nobody's yet", subscriber=subscriber)
    create_ticket(tenant_a, subject="Sid has it", subscriber=subscriber, assignee=support_user)
    create_ticket(tenant_a, subject="Nora has it", subscriber=subscriber, assignee=noc_user)
    done = create_ticket(tenant_a, subject="Long done", subscriber=subscriber)
    update_ticket(done, status=TicketStatus.CLOSED)
    client = client_for(support_user)

    def subjects(queue):
        html = client.get(f"/tickets/?queue={queue}").content.decode()
        return {
            s for s in ("Nobody's yet", "Sid has it", "Nora has it", "Long done") if s in html.replace("&#x27;", "'")
        }

    assert subjects("mine") == {"Sid has it"}
    assert subjects("unassigned") == {"Nobody's yet"}
    assert subjects("open") == {"Nobody's yet", "Sid has it", "Nora has it"}
    assert subjects("all") == {"Nobody's yet", "Sid has it", "Nora has it", "Long done"}
    # An agent lands on their own queue.
    assert subjects("") == {"Sid has it"}


def test_priority_queue_puts_urgent_first(support_user, tenant_a, subscriber):
    create_ticket(tenant_a, subject="Low one", subscriber=subscriber, priority=TicketPriority.LOW)
    create_ticket(tenant_a, subject="Urgent one", subscriber=subscriber, priority=TicketPriority.URGENT)
    html = client_for(support_user).get("/tickets/?queue=priority").content.decode()
    assert html.index("Urgent one") < html.index("Low one")


def test_queue_search_answers_a_fragment(support_user, tenant_a, subscriber, ticket):
    create_ticket(tenant_a, subject="Wi-Fi drops", subscriber=subscriber)
    response = client_for(support_user).get("/tickets/?queue=all&q=internet", **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert "No internet since Monday" in html and "Wi-Fi drops" not in html
    assert "HX-Request" in response["Vary"]


def test_queue_query_count_does_not_grow(support_user, tenant_a, subscriber):
    def grow(n):
        for i in range(n):
            cpe = CpeFactory(tenant=tenant_a, customer=subscriber)
            create_ticket(tenant_a, subject=f"T{i}", subscriber=subscriber, cpe=cpe, assignee=support_user)

    assert_constant_queries(client_for(support_user), "/tickets/?queue=all", grow)


def test_detail_shows_comments_and_internal_notes(support_user, ticket):
    add_comment(ticket, body="We are looking into it.", author=support_user)
    add_comment(ticket, body="OLT port flapping", author=support_user, internal=True)
    html = client_for(support_user).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "We are looking into it." in html
    assert "OLT port flapping" in html and "internal note" in html
    assert "LOS red" in html


def test_detail_query_count_does_not_grow_with_comments(support_user, ticket):
    def grow(n):
        for i in range(n):
            add_comment(ticket, body=f"comment {i}", author=support_user, internal=bool(i % 2))
            update_ticket(ticket, priority=[TicketPriority.HIGH, TicketPriority.LOW][i % 2])

    assert_constant_queries(client_for(support_user), f"/tickets/{ticket.pk}/", grow, small=2, large=20)


def test_take_comment_and_resolve_inline(support_user, ticket):
    client = client_for(support_user)
    response = client.post(f"/tickets/{ticket.pk}/take/", **HTMX)
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<div id="ticket"')
    ticket.refresh_from_db()
    assert ticket.assignee == support_user

    response = client.post(f"/tickets/{ticket.pk}/comments/", {"body": "Replaced the ONT.", "internal": ""}, **HTMX)
    assert "Replaced the ONT." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None

    response = client.post(
        f"/tickets/{ticket.pk}/change/",
        {"status": "resolved", "priority": ticket.priority, "assignee": support_user.pk},
        **HTMX,
    )
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED and ticket.resolved_at
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == [TicketEventKind.CREATED, TicketEventKind.ASSIGNEE, TicketEventKind.STATUS]


def test_plain_form_posts_redirect_back_to_the_ticket(support_user, ticket):
    response = client_for(support_user).post(f"/tickets/{ticket.pk}/comments/", {"body": "hi", "internal": "on"})
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.pk}/"
    assert TicketComment.objects.get(ticket=ticket).internal


def test_invalid_transition_and_blank_comment_are_explained(support_user, ticket):
    client = client_for(support_user)
    response = client.post(f"/tickets/{ticket.pk}/comments/", {"body": ""}, **HTMX)
    assert "This field is required" in response.content.decode()
    update_ticket(ticket, status=TicketStatus.CLOSED)
    response = client.post(f"/tickets/{ticket.pk}/change/", {"status": "open", "priority": "normal"}, **HTMX)
    assert response.status_code == 200
    assert "cannot become open" in response.content.decode()
    response = client.post(f"/tickets/{ticket.pk}/change/", {"status": "open", "priority": "normal"})
    assert response.status_code == 400


def test_assignee_must_work_tickets(support_user, billing_user, ticket):
    response = client_for(support_user).post(
        f"/tickets/{ticket.pk}/change/", {"status": "open", "priority": "normal", "assignee": billing_user.pk}, **HTMX
    )
    assert "Select a valid choice" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee is None


@pytest.mark.parametrize("role", [Role.BILLING, Role.READONLY])
def test_roles_that_do_not_work_tickets_see_no_buttons_and_are_refused(role_users, role, ticket):
    client = client_for(role_users[role])
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Take it" not in html and "Add comment" not in html and "Save changes" not in html
    assert "Take" not in client.get("/tickets/?queue=unassigned").content.decode().split('id="results"')[1]
    assert client.post(f"/tickets/{ticket.pk}/take/").status_code == 403
    assert client.post(f"/tickets/{ticket.pk}/comments/", {"body": "x"}).status_code == 403
    assert client.post(f"/tickets/{ticket.pk}/change/", {"status": "resolved", "priority": "low"}).status_code == 403
    assert client.get(f"/tickets/new/?subscriber={ticket.subscriber_id}").status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.assignee is None and not ticket.comments.exists()


def test_another_tenants_ticket_is_not_found(support_user, tenant_b):
    foreign = create_ticket(tenant_b, subject="Secret", subscriber=SubscriberFactory(tenant=tenant_b))
    client = client_for(support_user)
    assert client.get(f"/tickets/{foreign.pk}/").status_code == 404
    assert client.post(f"/tickets/{foreign.pk}/take/").status_code == 404
    assert client.post(f"/tickets/{foreign.pk}/comments/", {"body": "x"}).status_code == 404
    assert client.get(f"/tickets/new/?subscriber={foreign.subscriber_id}").status_code == 404
    assert "Secret" not in client.get("/tickets/?queue=all").content.decode()


def test_open_a_ticket_from_a_subscriber_page(support_user, subscriber, tenant_a):
    client = client_for(support_user)
    html = client.get(f"/tickets/new/?subscriber={subscriber.pk}").content.decode()
    assert "New ticket for Ewa Lis" in html
    response = client.post(
        "/tickets/new/",
        {"subscriber": subscriber.pk, "subject": "Router lights off", "priority": "high", "assign_to_me": "on"},
    )
    ticket = Ticket.objects.get(subject="Router lights off")
    assert response["Location"] == f"/tickets/{ticket.pk}/"
    assert ticket.tenant == tenant_a and ticket.assignee == support_user and ticket.created_by == support_user
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.CREATED).exists()


def test_open_a_ticket_from_a_device_attaches_its_state(support_user, subscriber, tenant_a):
    cpe = CpeFactory(tenant=tenant_a, customer=subscriber, sn="HALN0000D00D")
    DeviceState.objects.create(
        tenant=tenant_a, cpe=cpe, online=False, last_seen=timezone.now(), last_error="timeout", rx_dbm=-29.1
    )
    client = client_for(support_user)
    html = client.get(f"/tickets/new/?cpe={cpe.pk}").content.decode()
    assert "New ticket for Ewa Lis" in html and "latest polled state" in html
    client.post("/tickets/new/", {"subscriber": subscriber.pk, "cpe": cpe.pk, "subject": "Down", "priority": "urgent"})
    ticket = Ticket.objects.get(subject="Down")
    assert ticket.cpe == cpe
    note = TicketComment.objects.get(ticket=ticket)
    assert note.internal
    assert "OFFLINE" in note.body and "HALN0000D00D" in note.body and "-29.1" in note.body


def test_a_device_of_another_subscriber_or_tenant_is_refused(support_user, subscriber, tenant_a, tenant_b):
    other = CpeFactory(tenant=tenant_a)  # belongs to another subscriber
    foreign = CpeFactory(tenant=tenant_b)
    client = client_for(support_user)
    assert client.get(f"/tickets/new/?subscriber={subscriber.pk}&cpe={other.pk}").status_code == 404
    assert client.get(f"/tickets/new/?cpe={foreign.pk}").status_code == 404
    response = client.post(
        "/tickets/new/", {"subscriber": subscriber.pk, "cpe": foreign.pk, "subject": "x", "priority": "low"}
    )
    assert response.status_code == 404
    assert not Ticket.objects.exists()


def test_create_without_a_subscriber_is_not_found(support_user):
    assert client_for(support_user).get("/tickets/new/").status_code == 404


def test_create_form_errors_are_shown(support_user, subscriber):
    response = client_for(support_user).post("/tickets/new/", {"subscriber": subscriber.pk, "priority": "low"})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
