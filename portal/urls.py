"""Top-level URL map: pages, the two API dialects, docs, admin."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from oauth2_provider import views as oauth2_views

from devices.api.urls import cpe_link_urlpatterns

from . import accounts, views
from .api import http_errors
from .api import views as api_views
from .api.krill import KrillRouter
from .api.v1 import v1_not_found_pattern
from .profile import ProfileView

portal_router = KrillRouter()
portal_router.register("auth/clients", api_views.IntegrationClientViewSet, basename="integration-client")

api_v2_patterns = [
    # Krill clients call these with and without the trailing slash.
    re_path(r"^auth/login/?$", accounts.TokenLoginView.as_view(), name="auth-login"),
    re_path(r"^auth/refresh/?$", accounts.TokenRefreshView.as_view(), name="auth-refresh"),
    re_path(r"^me/?$", api_views.MeView.as_view(), name="me"),
    *portal_router.urls,
    # Krill CRM (customers, CPEs, POTS lines) and the CPE links at Krill's short paths.
    path("isp/", include("subscribers.api.urls")),
    path("isp/", include("devices.api.urls")),
    *cpe_link_urlpatterns,
    # Krill's monitoring app: live status, history and alarms of the polled CPEs.
    path("monitoring/", include("devices.api.monitoring")),
]

# ISPChamp v1: subscribers, support, billing, IPAM; any other v1 path is a 404 in the v1 envelope.
api_v1_patterns = [
    path("", include("subscribers.api.v1")),
    path("", include("support.api.urls")),
    path("", include("billing.api.v1")),
    path("", include("network.ipam.api.urls")),
    v1_not_found_pattern(),
]

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", accounts.LogoutView.as_view(), name="logout"),
    path("tenant/switch/", views.SwitchTenantView.as_view(), name="switch-tenant"),
    path("account/", ProfileView.as_view(), name="profile"),
    path("admin/", admin.site.urls),
    # OAuth2 client-credentials token endpoint for integration clients.
    path("o/token/", oauth2_views.TokenView.as_view(), name="oauth2-token"),
    path("o/revoke_token/", oauth2_views.RevokeTokenView.as_view(), name="oauth2-revoke"),
    path("api/v2/", include(api_v2_patterns)),
    path("api/v1/", include(api_v1_patterns)),
    path("billing/", include("billing.urls")),
    path("subscribers/", include("subscribers.urls")),
    path("tickets/", include("support.urls")),
    path("devices/", include("devices.urls")),
    path("ipam/", include("network.ipam.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

# Under /api/ every error is JSON in the API's error shape (the v1 envelope under /api/v1/);
# elsewhere Django's own pages. CSRF failures: settings.CSRF_FAILURE_VIEW.
handler400 = http_errors.bad_request
handler403 = http_errors.permission_denied
handler404 = http_errors.page_not_found
handler500 = http_errors.server_error
