"""Django admin of support tickets (comments and the timeline inline)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Ticket, TicketComment, TicketEvent


class TicketCommentInline(admin.StackedInline):
    model = TicketComment
    extra = 0


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "old_value", "new_value", "actor", "created"]


@admin.register(Ticket)
class TicketAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "tenant", "subscriber", "status", "priority", "assignee", "created"]
    list_filter = ["tenant", "status", "priority"]
    search_fields = ["subject", "description", "subscriber__name", "subscriber__surname"]
    raw_id_fields = ["subscriber", "cpe", "assignee", "created_by"]
    inlines = [TicketCommentInline, TicketEventInline]
