"""ISPChamp v1 routes of the support app (mounted at /api/v1/)."""

from portal.api.v1 import v1_path

from .v1 import TicketCommentViewSet, TicketViewSet

_LIST = {"get": "list", "post": "create"}

urlpatterns = [
    v1_path("support/tickets", TicketViewSet.as_view(_LIST), "v1-ticket-list"),
    v1_path(
        r"support/tickets/(?P<pk>\d+)",
        TicketViewSet.as_view({"get": "retrieve", "put": "update", "patch": "partial_update"}),
        "v1-ticket-detail",
    ),
    v1_path(r"support/tickets/(?P<pk>\d+)/comments", TicketCommentViewSet.as_view(_LIST), "v1-ticket-comments"),
]
