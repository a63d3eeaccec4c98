"""Search and priority filters of the ticket queue pages."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from portal.inputs import parse_id

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
        for word in value.split()[:6]:
            queryset = queryset.filter(
                Q(subject__icontains=word)
                | Q(subscriber__name__icontains=word)
                | Q(subscriber__surname__icontains=word)
            )
        return queryset
