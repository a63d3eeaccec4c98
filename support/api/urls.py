"""ISPChamp v1 routes of the support app (mounted at /api/v1/)."""

from portal.api.v1 import V1Router

from .v1 import TicketCommentViewSet, TicketViewSet

router = V1Router()
router.register("support/tickets", TicketViewSet, basename="v1-ticket")
# A ticket's comments are a list under the ticket: support/tickets/<id>/comments.
router.register(r"support/tickets/(?P<pk>\d+)/comments", TicketCommentViewSet, basename="v1-ticket-comments")
urlpatterns = router.urls
