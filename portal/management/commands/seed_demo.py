"""``manage.py seed_demo``: the demo tenants, users and (through each app's ``demo`` module) data.

Idempotent: running it again creates only what is missing and never
changes an existing password. Passwords of newly created users are random
(or set from ``--password`` for scripted demos and tests, and then never
echoed). Random ones go to ``var/demo-passwords.txt`` (mode 0600) and are
printed only when the output is a terminal: ``make run``'s output is often
kept in a log, and a log is no place for passwords.
"""

import importlib
import os
import secrets
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.choices import Role
from portal.models import Membership, Tenant
from portal.tenancy import make_default

# One /16 per demo tenant, where its simulated fleet answers (devices.demo.FLEETS):
# a device address belongs to exactly one tenant (devices.addresses).
DEMO_NETWORKS = {"demo": ["127.1.0.0/16"], "acme": ["127.2.0.0/16"]}
# What seed_demo gave both tenants before: a demo database seeded then is moved to the ranges above.
SHARED_DEMO_NETWORKS = ["127.0.0.0/8"]
TENANTS = [("demo", "Demo Fibre & Wireless", "demo"), ("acme", "Acme Networks", "acme")]
# Every demo user's default tenant: what Krill clients (no X-Tenant-ID) and the first page after login act on.
DEFAULT_TENANT = "demo"
# username → (first name, last name, {tenant slug: role}, is_superuser)
USERS = {
    "admin": ("Ada", "Admin", {"demo": Role.ADMIN, "acme": Role.ADMIN}, True),
    "noc": ("Nina", "Operator", {"demo": Role.NOC, "acme": Role.NOC}, False),
    "support": ("Sam", "Support", {"demo": Role.SUPPORT}, False),
    "billing": ("Bill", "Clerk", {"demo": Role.BILLING}, False),
    "viewer": ("Vic", "Viewer", {"demo": Role.READONLY}, False),
}
PASSWORDS_FILE = "demo-passwords.txt"  # under settings.VAR_DIR


class Command(BaseCommand):
    help = "Create the demo tenants (demo, acme), users and demo data. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="password for newly created users (default: random, printed once)")
        parser.add_argument("--small", action="store_true", help="a small data set (tests, quick demos)")

    def handle(self, *args, **options):
        with transaction.atomic():
            tenants = {}
            for slug, name, realm in TENANTS:
                # The simulated demo fleet answers on loopback addresses (127.x.y.z).
                tenant, _ = Tenant.objects.get_or_create(
                    slug=slug, defaults={"name": name, "realm": realm, "management_networks": DEMO_NETWORKS[slug]}
                )
                if tenant.management_networks == SHARED_DEMO_NETWORKS:
                    tenant.management_networks = DEMO_NETWORKS[slug]
                    tenant.save(update_fields=["management_networks"])
                tenants[slug] = tenant
            for tenant in tenants.values():
                try:
                    tenant.clean()  # the networks may not overlap another tenant's
                except ValidationError as exc:
                    raise CommandError(f"tenant {tenant.slug}: {'; '.join(exc.messages)}") from exc
            created = self._users(tenants, options.get("password"))
        # Each app contributes its demo data in its own transaction.
        for config in apps.get_app_configs():
            if config.name in ("subscribers", "billing", "support", "devices", "network.ipam"):
                try:
                    module = importlib.import_module(f"{config.name}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{config.name}.demo":
                        raise
                    continue
                module.seed(tenants, stdout=self.stdout, small=options["small"])
        if created and options.get("password"):
            names = ", ".join(username for username, _ in created)
            self.stdout.write(f"Demo users {names} created with the password given by --password.")
        elif created:
            path = write_passwords(created)
            if self.stdout.isatty():
                self.stdout.write(self.style.SUCCESS("Demo users (passwords are shown only this once):"))
                for username, password in created:
                    self.stdout.write(f"  {username:<8} {password}")
            self.stdout.write(self.style.SUCCESS(f"Demo users' passwords are in {path} (readable by you only)."))
        else:
            self.stdout.write("Demo users already exist; passwords unchanged.")
        self.stdout.write(self.style.SUCCESS("Demo data is ready: tenants " + ", ".join(tenants)))

    def _users(self, tenants, password):
        User = get_user_model()
        created = []
        for username, (first, last, roles, superuser) in USERS.items():
            user = User.objects.filter(username=username).first()
            if user is None:
                secret = password or secrets.token_urlsafe(9)
                user = User.objects.create_user(
                    username=username,
                    password=secret,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@demo.example",
                    is_staff=superuser,
                    is_superuser=superuser,
                )
                created.append((username, secret))
            for slug, role in roles.items():
                membership, _ = Membership.objects.get_or_create(
                    user=user, tenant=tenants[slug], defaults={"role": role}
                )
                # Only where the user has none yet: a default they chose since is theirs to keep.
                if slug == DEFAULT_TENANT and not Membership.objects.filter(user=user, is_default=True).exists():
                    make_default(membership)
        return created


def write_passwords(created: list[tuple[str, str]]) -> Path:
    """The new demo users' passwords in ``var/demo-passwords.txt``, readable by its owner only."""
    path = Path(settings.VAR_DIR) / PASSWORDS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created 0600 (never world-readable, not even for a moment); fchmod narrows a file left by an older run.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("# NOC Portal demo users (seed_demo). Sign in at http://127.0.0.1:8000/\n")
        out.writelines(f"{username} {password}\n" for username, password in created)
    return path
