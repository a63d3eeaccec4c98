"""Subscriber pages (mounted at /subscribers/)."""

from django.urls import path

from . import views

app_name = "subscribers"

urlpatterns = [
    path("", views.SubscriberListView.as_view(), name="list"),
    path("<int:pk>/", views.SubscriberDetailView.as_view(), name="detail"),
    path("<int:pk>/cpes/", views.SubscriberPanelView.as_view(panel_name="cpes"), name="cpes"),
    path("<int:pk>/status/", views.SubscriberStatusView.as_view(), name="status"),
]
