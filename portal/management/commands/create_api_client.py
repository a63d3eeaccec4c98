"""``manage.py create_api_client --tenant SLUG --name NAME [--read-only]``."""

from django.core.management.base import BaseCommand, CommandError

from portal.choices import Role
from portal.models import Tenant
from portal.tokens import create_integration_client


class Command(BaseCommand):
    help = "Create an OAuth2 client-credentials integration client bound to one tenant; prints its secret once."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant slug")
        parser.add_argument("--name", required=True, help="a name for the integration, e.g. 'Billing CRM'")
        parser.add_argument("--read-only", action="store_true", help="scope 'read' instead of 'read write'")
        parser.add_argument("--role", default=Role.ADMIN, choices=Role.values, help="role the client acts with")

    def handle(self, *args, **options):
        try:
            tenant = Tenant.objects.get(slug=options["tenant"])
        except Tenant.DoesNotExist as exc:
            raise CommandError(f"No tenant with slug {options['tenant']!r}.") from exc
        new = create_integration_client(tenant, options["name"], read_only=options["read_only"], role=options["role"])
        self.stdout.write(f"client_id:     {new.client_id}")
        self.stdout.write(f"client_secret: {new.client_secret}")
        self.stdout.write(f"scope:         {new.token.scope}")
        self.stdout.write(f"bearer token:  {new.token.access}  (expires in {new.token.expires_in} s)")
        self.stdout.write("")
        self.stdout.write(
            "Use it:  curl -H 'Authorization: Bearer <token>' http://127.0.0.1:8000/api/v2/isp/customers/"
        )
        self.stdout.write(
            "New token: curl -u <client_id>:<client_secret> -d grant_type=client_credentials "
            "http://127.0.0.1:8000/o/token/"
        )
        self.stdout.write("The secret and token are shown only now; they are stored hashed.")
