"""Admin: tenants, memberships and integration clients, each with its change history."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import IntegrationClient, Membership, Tenant
from .tenancy import make_default


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

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        # A ticked "default tenant" replaces the user's default in another tenant (one per user).
        for membership in formset.save(commit=False):
            if membership.is_default:
                make_default(membership)
            else:
                membership.save()
        for membership in formset.deleted_objects:
            membership.delete()
        formset.save_m2m()
        return None


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "tenant", "role", "is_default"]
    list_filter = ["tenant", "role", "is_default"]
    search_fields = ["user__username", "tenant__name"]
    autocomplete_fields = ["user"]

    def save_model(self, request, obj, form, change):
        # A ticked "default tenant" replaces the user's previous default (one per user).
        if obj.is_default:
            make_default(obj)
        else:
            super().save_model(request, obj, form, change)


@admin.register(IntegrationClient)
class IntegrationClientAdmin(SimpleHistoryAdmin):
    list_display = ["name", "tenant", "scope", "role", "created"]
    list_filter = ["tenant", "scope"]
    readonly_fields = ["application", "created"]
    search_fields = ["name"]
