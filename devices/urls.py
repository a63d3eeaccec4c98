"""Device, alert and device-action pages (mounted at /devices/; URL names ``devices:...``)."""

from django.urls import path

from . import views

app_name = "devices"

urlpatterns = [
    path("", views.DeviceListView.as_view(), name="list"),
    path("<int:pk>/", views.DeviceDetailView.as_view(), name="detail"),
    path("<int:pk>/live/", views.DeviceLiveView.as_view(), name="live"),
    # POST only: queue <kind> on the device (reboot, factory, reconfig, reprovision, unprovision, diagnostic).
    path("<int:pk>/actions/<slug:kind>/", views.DeviceActionCreateView.as_view(), name="action-create"),
    path("alerts/", views.AlertListView.as_view(), name="alerts"),
    path("alerts/panel/", views.AlertPanelView.as_view(), name="alerts-panel"),
    path("actions/", views.ActionListView.as_view(), name="actions"),
    path("actions/<int:pk>/", views.ActionDetailView.as_view(), name="action-detail"),
    path("actions/<int:pk>/progress/", views.ActionProgressView.as_view(), name="action-progress"),
    path("actions/<int:pk>/cancel/", views.ActionCancelView.as_view(), name="action-cancel"),
    path("actions/batches/", views.BatchListView.as_view(), name="batches"),
    path("actions/batches/new/", views.BatchCreateView.as_view(), name="batch-create"),
    path("actions/batches/<int:pk>/", views.BatchDetailView.as_view(), name="batch-detail"),
    path("actions/batches/<int:pk>/cancel/", views.BatchCancelView.as_view(), name="batch-cancel"),
]
