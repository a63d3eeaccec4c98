"""Krill v2 ISP routes of the subscribers app (mounted at /api/v2/isp/)."""

from portal.api.krill import KrillRouter

from .v2 import CustomerViewSet, PotsLineViewSet

# Krill clients call routes with and without the trailing slash.
router = KrillRouter()
router.register("customers", CustomerViewSet, basename="krill-customer")
router.register("potses", PotsLineViewSet, basename="krill-pots")

urlpatterns = router.urls
