from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from portal.admin_secrets import SecretFieldsAdminMixin

from .models import (
    AddressProfile,
    Alert,
    Cpe,
    DeviceModel,
    DeviceState,
    LineProfile,
    ServiceProfile,
    TvProfile,
    VoipProfile,
    WifiProfile,
)


@admin.register(DeviceModel)
class DeviceModelAdmin(SimpleHistoryAdmin):
    list_display = ["name", "family", "tech", "is_router", "tr069", "ports", "pots_ports"]
    list_filter = ["family", "tech"]
    search_fields = ["name"]


@admin.register(Cpe)
class CpeAdmin(SecretFieldsAdminMixin, SimpleHistoryAdmin):
    list_display = ["cpename", "sn", "tenant", "model", "customer", "tech", "active", "management_address"]
    list_filter = ["tenant", "model__family", "tech", "active"]
    search_fields = ["cpename", "sn", "mac", "external_id", "customer__surname"]
    list_select_related = ["tenant", "model", "customer"]
    raw_id_fields = ["customer"]


class ProfileAdmin(SimpleHistoryAdmin):
    list_display = ["name", "tenant", "description", "updated"]
    list_filter = ["tenant"]
    search_fields = ["name", "description"]


for _profile in (ServiceProfile, TvProfile, VoipProfile, WifiProfile, LineProfile, AddressProfile):
    admin.site.register(_profile, ProfileAdmin)


# Live polling's rows are written by the poller only: the admin reads them.
class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DeviceState)
class DeviceStateAdmin(ReadOnlyAdmin):
    list_display = ["cpe", "tenant", "online", "consecutive_misses", "last_seen", "last_polled", "output"]
    list_filter = ["tenant", "online", "cpe__model__family"]
    search_fields = ["cpe__cpename", "cpe__sn"]
    list_select_related = ["cpe", "tenant"]


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["cpe", "tenant", "kind", "severity", "opened", "closed", "message"]
    list_filter = ["tenant", "kind", "severity", ("closed", admin.EmptyFieldListFilter)]
    search_fields = ["cpe__cpename", "cpe__sn", "message"]
    list_select_related = ["cpe", "tenant"]
    date_hierarchy = "opened"
