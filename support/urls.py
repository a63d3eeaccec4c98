"""Support ticket pages (mounted at /tickets/; URL names keep the ``tickets:`` namespace)."""

from django.urls import path

from . import views

app_name = "tickets"

urlpatterns = [
    path("", views.TicketListView.as_view(), name="list"),
    # ?subscriber=<id> from a subscriber page, ?cpe=<id> (and optionally subscriber) from a device page.
    path("new/", views.TicketCreateView.as_view(), name="create"),
    path("<int:pk>/", views.TicketDetailView.as_view(), name="detail"),
    path("<int:pk>/change/", views.TicketChangeView.as_view(), name="change"),
    path("<int:pk>/take/", views.TicketTakeView.as_view(), name="take"),
    path("<int:pk>/comments/", views.TicketCommentView.as_view(), name="comment"),
]
