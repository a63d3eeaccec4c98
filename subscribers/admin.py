from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from portal.admin_secrets import SecretFieldsAdminMixin

from .models import PotsLine, ServiceEvent, Subscriber


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


# --- service events (billing issue) -----------------------------------------


@admin.register(ServiceEvent)
class ServiceEventAdmin(SimpleHistoryAdmin):
    list_display = ["subscriber", "tenant", "kind", "reason", "detail", "triggered_by", "processed", "created"]
    list_filter = ["tenant", "kind", "reason", "processed"]
    raw_id_fields = ["subscriber"]
