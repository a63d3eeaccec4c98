"""Krill v2 routes of the devices app.

``urlpatterns``: ``/api/v2/isp/cpes/``, ``/api/v2/isp/actions/`` and
``/api/v2/isp/action_batches/`` (mounted under isp/).
``cpe_link_urlpatterns``: the CPE sub-resources again at Krill's shorter
``/api/v2/cpes/<id>/<link>`` — the paths its ``_links`` carry.
"""

from portal.api.krill import KrillRouter

from .actions import ActionBatchViewSet, DeviceActionViewSet
from .cpes import CpeViewSet

router = KrillRouter()
router.register("cpes", CpeViewSet, basename="krill-cpe")
router.register("actions", DeviceActionViewSet, basename="krill-action")
router.register("action_batches", ActionBatchViewSet, basename="krill-action-batch")
urlpatterns = router.urls

_link_router = KrillRouter()
_link_router.register("cpes", CpeViewSet, basename="krill-cpe-link")
cpe_link_urlpatterns = [
    url for url in _link_router.urls if url.name not in ("krill-cpe-link-list", "krill-cpe-link-detail")
]
