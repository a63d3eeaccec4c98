"""ISPChamp v1 support tickets (/api/v1/support/tickets): create, filter, workflow, comments, roles.

The routes' shared envelope, tenant header and auth checks are walked with
every other v1 route in tests/subscribers/test_api_v1.py.
"""

from __future__ import annotations

import pytest

from portal.choices import Role
from support.choices import TicketStatus
from support.models import Ticket, TicketEvent
from tests.billing.helpers import make_subscriber

pytestmark = pytest.mark.django_db


class TestTickets:
    @pytest.fixture
    def support_api(self, api_as, support_user, tenant_a):
        return api_as(support_user, tenant_a)

    def test_create_list_and_filter(self, support_api, support_user, tenant_a):
        subscriber = make_subscriber(tenant_a)
        payload = {
            "subject": "No internet",
            "description": "LOS red",
            "subscriber": subscriber.pk,
            "priority": "high",
            "assignee": support_user.pk,
        }
        response = support_api.post("/api/v1/support/tickets", payload, format="json")
        assert response.status_code == 201, response.content
        data = response.json()["data"]
        assert (data["status"], data["priority"], data["assignee_username"], data["created_by"]) == (
            "open",
            "high",
            support_user.username,
            support_user.username,
        )
        Ticket.objects.create(tenant=tenant_a, subject="Billing question", subscriber=subscriber)

        def subjects(**params):
            return [t["subject"] for t in support_api.get("/api/v1/support/tickets/", params).json()["data"]]

        assert subjects(priority="high") == ["No internet"]
        assert subjects(assignee=support_user.pk) == ["No internet"]
        assert subjects(search="billing") == ["Billing question"]
        assert sorted(subjects(status="open")) == ["Billing question", "No internet"]
        assert subjects(unassigned="true") == ["Billing question"]

    def test_related_ids_are_validated_against_the_tenant(self, support_api, tenant_a, tenant_b, outsider):
        foreign = make_subscriber(tenant_b)
        response = support_api.post(
            "/api/v1/support/tickets", {"subject": "x", "subscriber": foreign.pk}, format="json"
        )
        assert response.status_code == 400
        assert "subscriber" in response.json()["error"]["errors"]
        mine = make_subscriber(tenant_a)
        response = support_api.post(
            "/api/v1/support/tickets",
            {"subject": "x", "subscriber": mine.pk, "assignee": outsider.pk},
            format="json",
        )
        assert response.status_code == 400
        assert "assignee" in response.json()["error"]["errors"]

    def test_assignee_must_be_able_to_work_tickets(self, support_api, readonly_user, tenant_a):
        ticket = Ticket.objects.create(tenant=tenant_a, subject="x", subscriber=make_subscriber(tenant_a))
        response = support_api.patch(
            f"/api/v1/support/tickets/{ticket.pk}", {"assignee": readonly_user.pk}, format="json"
        )
        assert response.status_code == 400
        assert "cannot work tickets" in response.json()["error"]["errors"]["assignee"][0]

    def test_status_workflow_timestamps_and_events(self, support_api, support_user, tenant_a):
        ticket = Ticket.objects.create(tenant=tenant_a, subject="x", subscriber=make_subscriber(tenant_a))
        url = f"/api/v1/support/tickets/{ticket.pk}"
        data = support_api.patch(url, {"status": "pending", "priority": "urgent"}, format="json").json()["data"]
        assert (data["status"], data["priority"]) == ("pending", "urgent")
        data = support_api.patch(url, {"status": "resolved"}, format="json").json()["data"]
        assert data["resolved_at"] is not None
        data = support_api.patch(url + "/", {"status": "closed"}, format="json").json()["data"]
        assert data["closed_at"] is not None
        response = support_api.patch(url, {"status": "open"}, format="json")
        assert response.status_code == 400
        assert response.json()["error"]["errors"]["status"] == ["A closed ticket cannot become open."]
        events = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", "new_value"))
        assert events == [("status", "pending"), ("priority", "urgent"), ("status", "resolved"), ("status", "closed")]
        assert ticket.history.first().history_user == support_user
        detail = support_api.get(url).json()["data"]
        assert [e["new_value"] for e in detail["events"]] == ["pending", "urgent", "resolved", "closed"]

    def test_invalid_status_value(self, support_api, tenant_a):
        ticket = Ticket.objects.create(tenant=tenant_a, subject="x", subscriber=make_subscriber(tenant_a))
        response = support_api.patch(f"/api/v1/support/tickets/{ticket.pk}", {"status": "done"}, format="json")
        assert response.status_code == 400

    def test_tickets_are_never_deleted_through_the_api(self, api_as, admin_user, tenant_a):
        ticket = Ticket.objects.create(tenant=tenant_a, subject="x", subscriber=make_subscriber(tenant_a))
        response = api_as(admin_user, tenant_a).delete(f"/api/v1/support/tickets/{ticket.pk}")
        assert response.status_code == 405
        assert Ticket.objects.filter(pk=ticket.pk).exists()

    def test_comments_and_first_response(self, support_api, support_user, tenant_a):
        ticket = Ticket.objects.create(tenant=tenant_a, subject="x", subscriber=make_subscriber(tenant_a))
        url = f"/api/v1/support/tickets/{ticket.pk}/comments"
        response = support_api.post(url, {"body": "Checking the OLT", "internal": True}, format="json")
        assert response.status_code == 201
        ticket.refresh_from_db()
        assert ticket.first_response_at is None  # internal notes are not a response
        response = support_api.post(url + "/", {"body": "A technician is on the way."}, format="json")
        assert response.json()["data"]["author"] == support_user.username
        ticket.refresh_from_db()
        assert ticket.first_response_at is not None
        assert len(support_api.get(url).json()["data"]) == 2
        assert support_api.post(url, {"body": ""}, format="json").status_code == 400

    def test_cpe_must_belong_to_the_tenant(self, support_api, tenant_a, tenant_b):
        response = support_api.post(
            "/api/v1/support/tickets",
            {"subject": "x", "subscriber": make_subscriber(tenant_a).pk, "cpe": 999999},
            format="json",
        )
        assert response.status_code == 400
        assert "cpe" in response.json()["error"]["errors"]

    @pytest.mark.parametrize(
        ("role", "allowed"),
        [(Role.ADMIN, True), (Role.NOC, True), (Role.SUPPORT, True), (Role.BILLING, False), (Role.READONLY, False)],
    )
    def test_who_may_work_tickets(self, role, allowed, role_users, api_as, tenant_a):
        client = api_as(role_users[role], tenant_a)
        subscriber = make_subscriber(tenant_a)
        assert client.get("/api/v1/support/tickets").status_code == 200
        response = client.post("/api/v1/support/tickets", {"subject": "x", "subscriber": subscriber.pk}, format="json")
        assert response.status_code == (201 if allowed else 403)


def test_ticket_statuses_are_the_four_of_the_issue():
    assert [s.value for s in TicketStatus] == ["open", "pending", "resolved", "closed"]
