"""ISPChamp v1 routes of IPAM (mounted at /api/v1/): the reference's exact paths, with or without a slash."""

from django.urls import re_path

from portal.api.v1 import V1Router

from .v1 import AllocateView, PoolViewSet, ReleaseView, SubnetViewSet, VrfViewSet

router = V1Router()
router.register("ipam/pools", PoolViewSet, basename="v1-ipam-pool")
router.register("ipam/subnets", SubnetViewSet, basename="v1-ipam-subnet")
router.register("ipam/vrfs", VrfViewSet, basename="v1-ipam-vrf")
urlpatterns = [
    re_path(r"^ipam/allocate/?$", AllocateView.as_view(), name="v1-ipam-allocate"),
    re_path(r"^ipam/release/?$", ReleaseView.as_view(), name="v1-ipam-release"),
    *router.urls,
]
