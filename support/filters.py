"""Search and priority filters of the ticket queue pages."""

from __future__ import annotations

import django_filters

from portal.inputs import parse_id
from portal.pages import matching_every_word

from .choices import TicketPriority
from .models import Ticket


class TicketQueueFilter(django_filters.FilterSet):
    """Search and priority on the ticket queues (the queue itself is a tab, chosen by the view)."""

    q = django_filters.CharFilter(method="search", label="Search")
    priority = django_filters.ChoiceFilter(choices=TicketPriority.choices, empty_label="Any priority", label="Priority")

    class Meta:
        model = Ticket
        fields = ["q", "priority"]

    def search(self, queryset, name, value):
        value = value.strip()
        ticket_id = parse_id(value.lstrip("#"))  # "#123" opens ticket 123; "²" is only text
        if ticket_id is not None:
            return queryset.filter(pk=ticket_id)
        return matching_every_word(queryset, value, ("subject", "subscriber__name", "subscriber__surname"))
