"""Admin: tenants, memberships and integration clients, each with its change history."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import IntegrationClient, Membership, Tenant


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Tenant)
class TenantAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "realm", "routing_domain", "dunning_grace_days", "created"]
    # The admin form runs Tenant.clean(): overlapping management networks are refused there.
    list_filter = ["routing_domain"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "tenant", "role"]
    list_filter = ["tenant", "role"]
    search_fields = ["user__username", "tenant__name"]
    autocomplete_fields = ["user"]


@admin.register(IntegrationClient)
class IntegrationClientAdmin(SimpleHistoryAdmin):
    list_display = ["name", "tenant", "scope", "role", "created"]
    list_filter = ["tenant", "scope"]
    readonly_fields = ["application", "created"]
    search_fields = ["name"]
