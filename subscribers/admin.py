from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from portal.admin_secrets import SecretFieldsAdminMixin

from .models import PotsLine, ServiceEvent, Subscriber, Ticket, TicketComment, TicketEvent


@admin.register(Subscriber)
class SubscriberAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "tenant", "city", "status", "external_id", "created"]
    list_filter = ["tenant", "status"]
    search_fields = ["name", "surname", "external_id", "email", "phone", "address"]


@admin.register(PotsLine)
class PotsLineAdmin(SecretFieldsAdminMixin, SimpleHistoryAdmin):
    list_display = ["lineid", "tenant", "cpe", "order", "cli", "username", "dtmf"]
    list_filter = ["tenant", "dtmf", "voicemail"]
    search_fields = ["lineid", "cli", "username", "cpe__cpename", "cpe__sn"]
    raw_id_fields = ["cpe"]
    secret_fields = ("password", "voicemail_password")


# --- support tickets and service events (billing & support issue) -------------


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


@admin.register(ServiceEvent)
class ServiceEventAdmin(SimpleHistoryAdmin):
    list_display = ["subscriber", "tenant", "kind", "reason", "detail", "triggered_by", "processed", "created"]
    list_filter = ["tenant", "kind", "reason", "processed"]
    raw_id_fields = ["subscriber"]
