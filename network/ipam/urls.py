"""IPAM pages (mounted at /ipam/)."""

from django.urls import path

from . import views

app_name = "ipam"

urlpatterns = [
    path("", views.PoolListView.as_view(), name="pools"),
    path("subnets/", views.SubnetListView.as_view(), name="subnets"),
    path("subnets/<int:pk>/", views.SubnetDetailView.as_view(), name="subnet"),
    # ?pool=, ?subnet= or ?subscriber= preselect the form.
    path("allocate/", views.AllocateView.as_view(), name="allocate"),
    path("allocations/<int:pk>/release/", views.ReleaseView.as_view(), name="release"),
]
