"""Moving tickets from subscribers to support keeps every row of an existing database.

The database is taken back to where main stood before the move (tickets
in subscribers 0003), filled through that state's models, then migrated
forward; the support models must read the same tickets, comments, events
and history.
"""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from subscribers.models import Subscriber
from support.models import Ticket, TicketComment, TicketEvent

BEFORE_THE_MOVE = [("subscribers", "0003_service_events_tickets"), ("support", None)]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def old_database():
    """The state of the apps before the move; the database is back at the latest migrations afterwards."""
    migrate(BEFORE_THE_MOVE)
    # The models exactly as the database now stands (every other app stays at its latest migration).
    yield MigrationExecutor(connection)._create_project_state(with_applied_migrations=True).apps
    migrate(latest())


@pytest.mark.django_db(transaction=True)
def test_tickets_comments_and_history_survive_the_move(old_database):
    apps = old_database
    tenant = apps.get_model("portal", "Tenant").objects.create(slug="mig", name="Migration ISP", realm="mig")
    user = apps.get_model("auth", "User").objects.create(username="agent")
    subscriber = apps.get_model("subscribers", "Subscriber").objects.create(tenant=tenant, name="Ewa", surname="Lis")
    OldTicket = apps.get_model("subscribers", "Ticket")
    open_ticket = OldTicket.objects.create(
        tenant=tenant, subject="No internet", description="LOS red", subscriber=subscriber, assignee=user
    )
    closed = OldTicket.objects.create(
        tenant=tenant, subject="Static IP", subscriber=subscriber, status="closed", priority="low"
    )
    comment = apps.get_model("subscribers", "TicketComment").objects.create(
        ticket=open_ticket, author=user, body="Technician on the way.", internal=True
    )
    event = apps.get_model("subscribers", "TicketEvent").objects.create(
        ticket=closed, kind="status", old_value="open", new_value="closed", actor=user
    )
    apps.get_model("subscribers", "HistoricalTicket").objects.create(
        id=open_ticket.pk,
        tenant=tenant,
        subject="No internet",
        subscriber=subscriber,
        created=open_ticket.created,
        updated=open_ticket.updated,
        history_date=open_ticket.created,
        history_type="+",
        history_user=user,
    )

    migrate(latest())

    moved = Ticket.objects.get(pk=open_ticket.pk)
    assert (moved.subject, moved.description, moved.status, moved.priority) == (
        "No internet",
        "LOS red",
        "open",
        "normal",
    )
    assert (moved.tenant_id, moved.subscriber_id, moved.assignee_id) == (tenant.pk, subscriber.pk, user.pk)
    assert Ticket.objects.get(pk=closed.pk).status == "closed"
    assert list(moved.comments.values_list("pk", "body", "internal", "author_id")) == [
        (comment.pk, "Technician on the way.", True, user.pk)
    ]
    assert list(TicketEvent.objects.filter(ticket_id=closed.pk).values_list("pk", "new_value")) == [
        (event.pk, "closed")
    ]
    assert list(moved.history.values_list("history_type", "history_user_id")) == [("+", user.pk)]
    assert TicketComment.objects.count() == 1
    assert Subscriber.objects.get(pk=subscriber.pk).tickets.count() == 2
    # Permissions and admin log entries hang off the content type: it moved with the model.
    assert ContentType.objects.get_for_model(Ticket).app_label == "support"
    assert not ContentType.objects.filter(app_label="subscribers", model="ticket").exists()
