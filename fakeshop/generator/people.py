"""Seeded shoppers for a Spanish store: names with apostrophes, accents and non-Latin
scripts, real province codes (WooCommerce ``ES`` state codes) with matching postcodes,
addresses as people type them, and ASCII e-mail local parts derived safely.

These are the inputs that break integrations in the field (``O'Connor`` in SQL and XML,
``Núñez`` in Latin-1 systems, ``山田`` in 100-char SAP fields), so every pool has them.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

FIRST_NAMES = (
    "Lucía",
    "María José",
    "José Luis",
    "Ángel",
    "Begoña",
    "Íñigo",
    "Nuria",
    "Jordi",
    "Montserrat",
    "Xosé",
    "Aitor",
    "Zoë",
    "François",
    "João",
    "Siobhán",
    "Seán",
    "Inés",
    "Raúl",
    "Ana",
    "Pilar",
    "Joan",
    "Marta",
    "Álvaro",
    "Noemí",
    "D'Arcy",
)
LAST_NAMES = (
    "García",
    "Fernández",
    "Muñoz",
    "Núñez",
    "Ibáñez",
    "Gonçalves",
    "O'Connor",
    "D'Angelo",
    "Martínez-Peña",
    "de la Fuente",
    "Sánchez",
    "Castaño",
    "Güell",
    "Ordóñez",
    "López",
    "Pérez",
    "Rodríguez",
    "Dell'Orto",
    "Aranzábal",
    "Peñalver",
    "Vázquez",
    "Iglesias",
)
#: (first name, last name) pairs in non-Latin scripts
NON_LATIN = (
    ("太郎", "山田"),
    ("Αθηνά", "Παπαδοπούλου"),
    ("Иван", "Петров"),
    ("محمد", "العلي"),
    ("Олена", "Шевченко"),
    ("美咲", "佐藤"),
    ("민준", "김"),
    ("דוד", "כהן"),
)
COMPANIES = (
    "O'Connor Distribuciones S.L.",
    "Ferretería Núñez e Hijos, S.A.",
    "L'Arbre Verd SCCL",
    "Café & Té «La Tetería» S.L.",
    "Ibáñez-Gonçalves Asociados",
    "株式会社ヤマダ Europe S.L.",
)
STREETS = (
    "Calle de l'Almirall",
    "Avenida de Andalucía",
    "Carrer d'Aragó",
    "Rúa do Franco",
    "Paseo de la Castellana",
    "C/ Núñez de Balboa",
    "Plaza de España",
    "Calle Doña Urraca",
    "Carrer de Sant Antoni M.ª Claret",
    "Camino de O'Donnell",
    "Calle Peñuelas",
)
ADDRESS_2 = ("", "", "", "3º B", "Bajo izq.", "Escalera 2, 4ª", "Portal 7", "Ático")
#: WooCommerce ES state code, province postcode prefix, cities
PROVINCES = (
    ("M", "28", ("Madrid", "Alcalá de Henares", "Móstoles")),
    ("B", "08", ("Barcelona", "L'Hospitalet de Llobregat", "Sabadell")),
    ("V", "46", ("València", "Gandia")),
    ("SE", "41", ("Sevilla", "Dos Hermanas")),
    ("MA", "29", ("Málaga", "Marbella")),
    ("C", "15", ("A Coruña", "Santiago de Compostela")),
    ("BI", "48", ("Bilbao", "Getxo")),
    ("Z", "50", ("Zaragoza",)),
    ("PM", "07", ("Palma", "Maó")),
    ("GC", "35", ("Las Palmas de Gran Canaria",)),
    ("GI", "17", ("Girona", "L'Escala")),
    ("O", "33", ("Oviedo", "Gijón")),
    ("NA", "31", ("Pamplona/Iruña",)),
    ("L", "25", ("Lleida", "La Seu d'Urgell")),
    ("OR", "32", ("Ourense",)),
)
CUSTOMER_NOTES = (
    "Dejar en portería, por favor.",
    "¿Podéis envolverlo para regalo?",
    "Entregar después de las 18:00 — gracias",
    'Llamar al timbre "B" (el de abajo no funciona)',
    "Es para mi madre; no incluyáis la factura en el paquete.",
)


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    company: str
    address_1: str
    address_2: str
    city: str
    state: str
    postcode: str
    phone: str
    email: str

    def billing(self) -> dict[str, Any]:
        """WooCommerce ``billing`` object (country ES)."""
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "company": self.company,
            "address_1": self.address_1,
            "address_2": self.address_2,
            "city": self.city,
            "state": self.state,
            "postcode": self.postcode,
            "country": "ES",
            "email": self.email,
            "phone": self.phone,
        }

    def shipping(self) -> dict[str, Any]:
        """WooCommerce ``shipping`` object (no e-mail; ``phone`` since WooCommerce 5.6)."""
        data = self.billing()
        del data["email"]
        return data


def ascii_slug(text: str) -> str:
    """``Núñez O'Connor`` → ``nunez.oconnor``; empty when nothing Latin is left."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    ascii_only = re.sub(r"[^a-z0-9 ]+", "", ascii_only)
    return ".".join(ascii_only.split())


def email_for(first: str, last: str, rng: random.Random) -> str:
    """An ASCII e-mail address in a reserved domain (``example.*``, RFC 2606)."""
    local = ascii_slug(f"{first} {last}")
    if not local:
        local = f"cliente{rng.randrange(1000, 99999)}"
    domain = rng.choice(("example.com", "example.es", "example.net", "example.org"))
    return f"{local}@{domain}"


def phone(rng: random.Random) -> str:
    """Spanish mobile or landline numbers, in the formats people type them."""
    digits = rng.choice("67") + "".join(str(rng.randrange(10)) for _ in range(8))
    style = rng.randrange(3)
    if style == 0:
        return digits
    if style == 1:
        return f"+34 {digits[:3]} {digits[3:6]} {digits[6:]}"
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:7]}-{digits[7:]}"


def postcode(prefix: str, rng: random.Random) -> str:
    """A 5-digit postcode of the province (its first two digits are the province code)."""
    return f"{prefix}{rng.randrange(1, 100):03d}"


def make_person(
    rng: random.Random, non_latin_share: float = 0.12, company_share: float = 0.1
) -> Person:
    if rng.random() < non_latin_share:
        first, last = rng.choice(NON_LATIN)
    else:
        first = rng.choice(FIRST_NAMES)
        last = (
            f"{rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}"
            if rng.random() < 0.5
            else rng.choice(LAST_NAMES)
        )
    return with_address(rng, first, last, email_for(first, last, rng), company_share)


def with_address(
    rng: random.Random,
    first: str,
    last: str,
    email: str,
    company_share: float = 0.1,
    company: str = "",
) -> Person:
    state, prefix, cities = rng.choice(PROVINCES)
    if not company and rng.random() < company_share:
        company = rng.choice(COMPANIES)
    return Person(
        first_name=first,
        last_name=last,
        company=company,
        address_1=f"{rng.choice(STREETS)}, {rng.randrange(1, 250)}",
        address_2=rng.choice(ADDRESS_2),
        city=rng.choice(cities),
        state=state,
        postcode=postcode(prefix, rng),
        phone=phone(rng),
        email=email,
    )


def split_name(full: str) -> tuple[str, str]:
    """Catalog customer names are one string; WooCommerce keeps first and last apart."""
    parts = full.split(" ", 1)
    return (parts[0], parts[1] if len(parts) > 1 else "")
