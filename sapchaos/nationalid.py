"""Spanish national identifiers: DNI, NIE and CIF/NIF of legal entities, with their check
characters (as the Agencia Tributaria and the Ministerio del Interior compute them).

* **DNI**: 8 digits + a control letter, ``"TRWAGMYFPDXBNJZSQVHLCKE"[number % 23]``.
* **NIE**: ``X``/``Y``/``Z`` + 7 digits + the control letter, computed as for a DNI after
  replacing ``X``→0, ``Y``→1, ``Z``→2.
* **CIF** (NIF of an entity): an organisation letter, 7 digits and a control character.
  Sum the digits in even positions (2nd, 4th, 6th) and, for each digit in an odd
  position (1st, 3rd, 5th, 7th), the digits of its double; the control digit is
  ``(10 - sum % 10) % 10``. Letters ``K P Q R S N W`` (and entities whose number starts
  with ``00``: non-residents) carry it as the letter ``"JABCDEFGHI"[digit]``; letters
  ``A B E H`` as the digit; the others (``C D F G J U V``) accept either.

``validate_national_id`` normalises (upper case, spaces, dots and hyphens removed) and
returns the kind and canonical form, or raises ``NationalIdError`` with a reason a person
can act on (the bridge shows it as the validation error of the order).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["NationalId", "NationalIdError", "validate_national_id"]

Kind = Literal["DNI", "NIE", "CIF"]

DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
CIF_LETTERS = "JABCDEFGHI"
#: organisation letters whose control character is a letter / a digit / either
CIF_LETTER_CONTROL = frozenset("KPQRSNW")
CIF_DIGIT_CONTROL = frozenset("ABEH")
CIF_ORGS = frozenset("ABCDEFGHJNPQRSUVW") | {"K"}

_DNI = re.compile(r"^(\d{8})([A-Z])$")
_NIE = re.compile(r"^([XYZ])(\d{7})([A-Z])$")
_CIF = re.compile(r"^([A-HJ-NP-SUVW])(\d{7})([0-9A-J])$")


class NationalIdError(ValueError):
    """The text is not a valid DNI, NIE or CIF. The message says why and shows the id;
    ``reason`` says why without it (for logs and dead letters: the id is personal data)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class NationalId:
    kind: Kind
    #: canonical form: upper case, no separators (``12345678Z``)
    value: str


def normalise(raw: str) -> str:
    return re.sub(r"[\s.\-/]", "", raw).upper()


def dni_letter(number: int) -> str:
    return DNI_LETTERS[number % 23]


def cif_control_digit(digits: str) -> int:
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == 0:  # positions 1, 3, 5, 7 (odd, counting from one)
            d *= 2
            total += d // 10 + d % 10
        else:
            total += d
    return (10 - total % 10) % 10


def _check_cif(org: str, digits: str, control: str) -> None:
    want = cif_control_digit(digits)
    as_letter, as_digit = CIF_LETTERS[want], str(want)
    if org in CIF_LETTER_CONTROL or digits.startswith("00"):
        allowed = {as_letter}
    elif org in CIF_DIGIT_CONTROL:
        allowed = {as_digit}
    else:
        allowed = {as_letter, as_digit}
    if control not in allowed:
        raise NationalIdError(
            f"CIF {org}{digits}{control}: wrong control character "
            f"(expected {' or '.join(sorted(allowed))})",
            "CIF with a wrong control character",
        )


def validate_national_id(raw: str) -> NationalId:
    """Validate a DNI, NIE or CIF; returns its kind and canonical form."""
    if not isinstance(raw, str) or not raw.strip():
        raise NationalIdError("national id is empty", "empty")
    text = normalise(raw)
    if m := _DNI.match(text):
        want = dni_letter(int(m[1]))
        if m[2] != want:
            raise NationalIdError(
                f"DNI {text}: wrong control letter (expected {want})",
                "DNI with a wrong control letter",
            )
        return NationalId("DNI", text)
    if m := _NIE.match(text):
        want = dni_letter(int(str("XYZ".index(m[1])) + m[2]))
        if m[3] != want:
            raise NationalIdError(
                f"NIE {text}: wrong control letter (expected {want})",
                "NIE with a wrong control letter",
            )
        return NationalId("NIE", text)
    if m := _CIF.match(text):
        _check_cif(m[1], m[2], m[3])
        return NationalId("CIF", text)
    raise NationalIdError(
        f"{text!r} is not a Spanish national id (DNI 12345678Z, NIE X1234567L, CIF B12345674)",
        "not a DNI, NIE or CIF",
    )
