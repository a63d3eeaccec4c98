"""Django admin of IPAM (staff: every tenant). Subnets and allocations are read here, changed by services."""

from django.contrib import admin

from .models import Allocation, Pool, Subnet, Vrf


@admin.register(Vrf)
class VrfAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "rd", "enforce_unique"]
    list_filter = ["tenant"]


@admin.register(Pool)
class PoolAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "vrf", "purpose", "alert_threshold"]
    list_filter = ["tenant", "purpose"]


@admin.register(Subnet)
class SubnetAdmin(admin.ModelAdmin):
    list_display = ["cidr", "tenant", "pool", "vrf", "gateway"]
    list_filter = ["tenant", "family"]
    readonly_fields = ["cidr", "family", "vrf", "pool"]


@admin.register(Allocation)
class AllocationAdmin(admin.ModelAdmin):
    list_display = ["address", "tenant", "subnet", "status", "subscriber", "cpe", "allocated_at"]
    list_filter = ["tenant", "status"]
    search_fields = ["address", "description", "session_id"]
    raw_id_fields = ["subscriber", "cpe", "allocated_by", "released_by"]
    readonly_fields = ["address", "subnet", "vrf", "status"]
