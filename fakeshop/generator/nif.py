"""Spanish tax ids as shoppers type them into a checkout NIF field: DNI, NIE and CIF.

Implements the official check characters (DNI: number mod 23 → letter table; NIE: X/Y/Z
read as 0/1/2 then as a DNI; CIF: Luhn-like control digit or letter by entity type) so
the generator can hand out valid ids and realistically wrong ones (typos, missing letter).
"""

from __future__ import annotations

import random
import re

DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
NIE_PREFIX = {"X": "0", "Y": "1", "Z": "2"}
CIF_CONTROL_LETTERS = "JABCDEFGHI"
#: entity letters whose CIF control must be a letter / must be a digit; others accept both
CIF_LETTER_CONTROL = frozenset("KPQRSNW")
CIF_DIGIT_CONTROL = frozenset("ABEH")
CIF_ENTITY_LETTERS = "ABCDEFGHJNPQRSUVW"

_DNI = re.compile(r"^(\d{8})([A-Z])$")
_NIE = re.compile(r"^([XYZ])(\d{7})([A-Z])$")
_CIF = re.compile(r"^([ABCDEFGHJNPQRSUVW])(\d{7})([0-9A-J])$")


def normalise(text: str) -> str:
    """Upper-case and drop spaces, dots and dashes (``12.345.678-z`` → ``12345678Z``)."""
    return re.sub(r"[\s.\-]", "", text).upper()


def dni_letter(number: int) -> str:
    return DNI_LETTERS[number % 23]


def cif_control_digit(digits: str) -> int:
    """CIF control: add even-position digits, add the digit sums of doubled odd-position
    digits, take (10 − total mod 10) mod 10."""
    total = 0
    for pos, ch in enumerate(digits, start=1):
        d = int(ch)
        if pos % 2 == 0:
            total += d
        else:
            doubled = d * 2
            total += doubled // 10 + doubled % 10
    return (10 - total % 10) % 10


def is_valid_dni(text: str) -> bool:
    m = _DNI.match(normalise(text))
    return bool(m) and dni_letter(int(m.group(1))) == m.group(2)  # type: ignore[union-attr]


def is_valid_nie(text: str) -> bool:
    m = _NIE.match(normalise(text))
    if not m:
        return False
    number = int(NIE_PREFIX[m.group(1)] + m.group(2))
    return dni_letter(number) == m.group(3)


def is_valid_cif(text: str) -> bool:
    m = _CIF.match(normalise(text))
    if not m:
        return False
    entity, digits, control = m.groups()
    digit = cif_control_digit(digits)
    as_letter = CIF_CONTROL_LETTERS[digit]
    if entity in CIF_LETTER_CONTROL:
        return control == as_letter
    if entity in CIF_DIGIT_CONTROL:
        return control == str(digit)
    return control in (str(digit), as_letter)


def is_valid_nif(text: str) -> bool:
    """True for a valid DNI, NIE or CIF (after :func:`normalise`)."""
    return is_valid_dni(text) or is_valid_nie(text) or is_valid_cif(text)


def make_dni(rng: random.Random) -> str:
    n = rng.randrange(1_000_000, 99_999_999)
    return f"{n:08d}{dni_letter(n)}"


def make_nie(rng: random.Random) -> str:
    prefix = rng.choice("XYZ")
    n = rng.randrange(0, 10_000_000)
    return f"{prefix}{n:07d}{dni_letter(int(NIE_PREFIX[prefix] + f'{n:07d}'))}"


def make_cif(rng: random.Random) -> str:
    entity = rng.choice("ABBBBBBEGHJNPQRSUVW")  # sociedades limitadas (B) dominate
    digits = f"{rng.randrange(0, 10_000_000):07d}"
    digit = cif_control_digit(digits)
    if entity in CIF_LETTER_CONTROL:
        control = CIF_CONTROL_LETTERS[digit]
    elif entity in CIF_DIGIT_CONTROL:
        control = str(digit)
    else:
        control = rng.choice((str(digit), CIF_CONTROL_LETTERS[digit]))
    return f"{entity}{digits}{control}"


def corrupt(valid: str, rng: random.Random) -> str:
    """Turn a valid id into an invalid one the way people get them wrong: a wrong check
    character, a typo in a digit, the check letter left off, or one digit missing."""
    kind = rng.choice(("check", "digit", "drop_check", "short"))
    candidate = valid
    if kind == "check":
        pool = DNI_LETTERS if valid[-1].isalpha() else "0123456789"
        candidate = valid[:-1] + rng.choice([c for c in pool if c != valid[-1]])
    elif kind == "digit":
        idx = rng.choice([i for i, c in enumerate(valid[:-1]) if c.isdigit()])
        candidate = (
            valid[:idx] + str((int(valid[idx]) + rng.randrange(1, 10)) % 10) + valid[idx + 1 :]
        )
    elif kind == "drop_check":
        candidate = valid[:-1]
    else:
        idx = rng.choice([i for i, c in enumerate(valid[:-1]) if c.isdigit()])
        candidate = valid[:idx] + valid[idx + 1 :]
    if is_valid_nif(candidate):  # a typo can land on another valid id; force a bad check
        candidate = valid[:-1]
    return candidate


def make_nif(rng: random.Random, valid: bool, kind: str | None = None) -> str:
    """A DNI (≈70 %), NIE (≈15 %) or CIF (≈15 %), valid or deliberately invalid."""
    kind = kind or rng.choices(("dni", "nie", "cif"), weights=(70, 15, 15))[0]
    maker = {"dni": make_dni, "nie": make_nie, "cif": make_cif}[kind]
    value = maker(rng)
    return value if valid else corrupt(value, rng)
