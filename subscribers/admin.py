from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Subscriber


@admin.register(Subscriber)
class SubscriberAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "tenant", "city", "status", "external_id", "created"]
    list_filter = ["tenant", "status"]
    search_fields = ["name", "surname", "external_id", "email", "phone", "address"]
