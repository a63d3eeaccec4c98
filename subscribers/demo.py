"""Demo subscribers for ``manage.py seed_demo``: Polish customers for "demo", Spanish ones for "acme".

Deterministic (a fixed random seed per tenant) and idempotent: each demo
subscriber has an ``external_id`` (``DEMO-00001``) and only missing ones are
created, in bulk. Bulk inserts write no history rows on purpose: a demo load
is not an audited change.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from .choices import SubscriberStatus
from .models import Subscriber

COUNTS = {"demo": (320, 20), "acme": (40, 8)}  # slug → (full, small)

POLISH = {
    "country": "Poland",
    "phone": "+48 {a}{b} {c} {d}",
    "first": [
        "Jan",
        "Anna",
        "Piotr",
        "Katarzyna",
        "Tomasz",
        "Małgorzata",
        "Paweł",
        "Agnieszka",
        "Michał",
        "Joanna",
        "Krzysztof",
        "Ewa",
        "Marcin",
        "Magdalena",
        "Andrzej",
        "Monika",
        "Łukasz",
        "Barbara",
        "Grzegorz",
        "Zofia",
    ],
    "last": [
        "Nowak",
        "Kowalski",
        "Wiśniewski",
        "Wójcik",
        "Kowalczyk",
        "Kamiński",
        "Lewandowski",
        "Zieliński",
        "Szymański",
        "Woźniak",
        "Dąbrowski",
        "Kozłowski",
        "Jankowski",
        "Mazur",
        "Kwiatkowski",
        "Krawczyk",
        "Piotrowski",
        "Grabowski",
        "Nowakowski",
        "Pawłowski",
    ],
    "streets": [
        "ul. Długa",
        "ul. Krakowska",
        "ul. Polna",
        "ul. Leśna",
        "ul. Słoneczna",
        "ul. Mickiewicza",
        "ul. Kościuszki",
        "ul. Ogrodowa",
        "ul. Lipowa",
        "al. Jana Pawła II",
        "ul. Szkolna",
        "ul. Kolejowa",
    ],
    # city, postal code prefix, latitude, longitude
    "cities": [
        ("Kraków", "30-", 50.0614, 19.9366),
        ("Wieliczka", "32-020", 49.9870, 20.0647),
        ("Niepołomice", "32-005", 50.0337, 20.2174),
        ("Skawina", "32-050", 49.9750, 19.8283),
        ("Myślenice", "32-400", 49.8336, 19.9384),
        ("Bochnia", "32-700", 49.9690, 20.4300),
    ],
    "address": "{street} {number}",
    "email_domain": ["wp.pl", "onet.pl", "gmail.com", "interia.pl", "o2.pl"],
}
SPANISH = {
    "country": "Spain",
    "phone": "+34 6{a} {b}{c} {d}",
    "first": [
        "María",
        "José",
        "Antonio",
        "Carmen",
        "Manuel",
        "Lucía",
        "Francisco",
        "Laura",
        "David",
        "Marta",
        "Javier",
        "Elena",
        "Daniel",
        "Isabel",
        "Carlos",
        "Pilar",
        "Alejandro",
        "Rosa",
        "Pablo",
        "Cristina",
    ],
    "last": [
        "García",
        "Fernández",
        "González",
        "Rodríguez",
        "López",
        "Martínez",
        "Sánchez",
        "Pérez",
        "Gómez",
        "Martín",
        "Jiménez",
        "Ruiz",
        "Hernández",
        "Díaz",
        "Moreno",
        "Álvarez",
        "Romero",
        "Navarro",
    ],
    "streets": [
        "Calle Mayor",
        "Calle Bolivia",
        "Avenida de la Constitución",
        "Calle del Sol",
        "Calle Real",
        "Paseo de la Estación",
        "Calle de Alcalá",
        "Calle San Isidro",
        "Avenida de Madrid",
    ],
    "cities": [
        ("Coslada, Madrid", "28820", 40.4238, -3.5613),
        ("Alcalá de Henares", "28801", 40.4820, -3.3635),
        ("Torrejón de Ardoz", "28850", 40.4557, -3.4697),
        ("San Fernando de Henares", "28830", 40.4236, -3.5339),
    ],
    "address": "{street} nº {number} {floor}º{door}",
    "email_domain": ["gmail.com", "hotmail.es", "yahoo.es", "telefonica.net"],
}
LOCALES = {"demo": POLISH, "acme": SPANISH}


def demo_external_id(index: int) -> str:
    return f"DEMO-{index:05d}"


def _ascii(text: str) -> str:
    table = str.maketrans("ąćęłńóśźżáéíóúñüĄĆĘŁŃÓŚŹŻÁÉÍÓÚÑÜ", "acelnoszzaeiounuACELNOSZZAEIOUNU")
    return text.translate(table).lower().replace(" ", "")


def _subscriber(rng: random.Random, locale: dict[str, Any], index: int) -> dict[str, Any]:
    first, last = rng.choice(locale["first"]), rng.choice(locale["last"])
    if locale is POLISH and first.endswith("a") and last.endswith("ski"):
        last = last[:-1] + "a"  # Kowalski → Kowalska
    city, postal, lat, lon = rng.choice(locale["cities"])
    if postal.endswith("-"):
        postal = f"{postal}{rng.randrange(1, 999):03d}"
    address = locale["address"].format(
        street=rng.choice(locale["streets"]),
        number=rng.randrange(1, 160),
        floor=rng.randrange(1, 9),
        door=rng.choice("ABCD"),
    )
    roll = rng.random()
    status = (
        SubscriberStatus.ACTIVE
        if roll < 0.9
        else SubscriberStatus.SUSPENDED
        if roll < 0.97
        else SubscriberStatus.INACTIVE
    )
    phone = locale["phone"].format(
        a=rng.randrange(10, 99), b=rng.randrange(100, 999), c=rng.randrange(100, 999), d=rng.randrange(100, 999)
    )
    return {
        "name": first,
        "surname": last,
        "address": address,
        "city": city,
        "country": locale["country"],
        "postalcode": postal,
        "latitude": Decimal(str(round(lat + rng.uniform(-0.02, 0.02), 6))),
        "longitude": Decimal(str(round(lon + rng.uniform(-0.02, 0.02), 6))),
        "external_id": demo_external_id(index),
        "email": f"{_ascii(first)}.{_ascii(last)}{index}@{rng.choice(locale['email_domain'])}",
        "phone": phone,
        "status": status,
    }


def seed(tenants: dict[str, Any], stdout=None, small: bool = False) -> dict[str, int]:
    """Create the missing demo subscribers of each demo tenant; slug → how many were created."""
    created: dict[str, int] = {}
    for slug, tenant in tenants.items():
        if slug not in COUNTS:
            continue
        count = COUNTS[slug][1 if small else 0]
        rng = random.Random(f"demo-subscribers:{slug}")
        rows = [_subscriber(rng, LOCALES[slug], i) for i in range(1, count + 1)]
        existing = set(
            Subscriber.objects.for_tenant(tenant)
            .filter(external_id__in=[r["external_id"] for r in rows])
            .values_list("external_id", flat=True)
        )
        new = [Subscriber(tenant=tenant, **r) for r in rows if r["external_id"] not in existing]
        Subscriber.objects.bulk_create(new, batch_size=500)
        created[slug] = len(new)
        if stdout is not None:
            stdout.write(f"subscribers: {tenant.slug}: {len(new)} created, {len(existing)} already there")
    return created
