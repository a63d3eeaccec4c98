from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from portal.dashboard import register
        from subscribers import panels
        from subscribers.services import subscriber_status_changed

        from . import services
        from .dashboard import billing_tiles
        from .subscriber_panels import PANELS

        # A deactivated subscriber's subscriptions end that day (billing stops there).
        subscriber_status_changed.connect(
            services.on_subscriber_status_changed, dispatch_uid="billing.end_subscriptions_on_deactivate"
        )
        register("billing", billing_tiles, permission="billing.view")
        for panel in PANELS:
            panels.register(panel)
