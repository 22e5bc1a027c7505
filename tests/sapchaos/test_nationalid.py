"""Spanish national ids: known valid DNI/NIE/CIF pass, and each kind of error is named."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sapchaos.nationalid import (
    DNI_LETTERS,
    NationalIdError,
    validate_national_id,
)

VALID = [
    ("12345678Z", "DNI"),
    ("00000000T", "DNI"),
    ("12.345.678-z", "DNI"),  # separators and case are normalised
    ("X1234567L", "NIE"),
    ("Y1234567X", "NIE"),
    ("Z1234567R", "NIE"),
    ("x-1234567-l", "NIE"),
    ("A28015865", "CIF"),  # Telefónica, S.A.
    ("A39000013", "CIF"),  # Banco Santander, S.A.
    ("A46103834", "CIF"),  # Mercadona, S.A.
    ("A15075062", "CIF"),  # Industria de Diseño Textil, S.A.
    ("Q2826000H", "CIF"),  # Agencia Estatal de Administración Tributaria
    ("P2807900B", "CIF"),  # Ayuntamiento de Madrid
    ("B12345674", "CIF"),
    ("B-12345674", "CIF"),
    ("N0032484H", "CIF"),  # a non-resident entity: control always a letter
]

INVALID = [
    ("12345678A", "wrong control letter (expected Z)"),
    ("X1234567A", "wrong control letter (expected L)"),
    ("Z1234567L", "wrong control letter (expected R)"),
    ("A28015866", "wrong control character (expected 5)"),
    ("A2801586E", "wrong control character (expected 5)"),  # A: digit only
    ("Q28260008", "wrong control character (expected H)"),  # Q: letter only
    ("B12345675", "wrong control character (expected 4)"),
    ("1234567Z", "is not a Spanish national id"),
    ("I1234567A", "is not a Spanish national id"),  # no such organisation letter
    ("W12345678", "wrong control character"),  # W: letter only
    ("hello", "is not a Spanish national id"),
    ("", "empty"),
    ("   ", "empty"),
]


@pytest.mark.parametrize(("raw", "kind"), VALID)
def test_known_valid_ids(raw: str, kind: str) -> None:
    nid = validate_national_id(raw)
    assert nid.kind == kind
    assert nid.value == raw.upper().replace("-", "").replace(".", "")


@pytest.mark.parametrize(("raw", "reason"), INVALID)
def test_known_invalid_ids(raw: str, reason: str) -> None:
    with pytest.raises(NationalIdError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        validate_national_id(raw)


def test_cif_letters_accepting_either_control_form() -> None:
    # C, D, F, G, J, U, V accept the control as a digit or as its letter
    assert validate_national_id("G12345674").kind == "CIF"
    assert validate_national_id("G1234567D").kind == "CIF"  # 4 → D


@given(st.integers(min_value=0, max_value=99_999_999))
def test_exactly_one_letter_is_right_for_every_dni(number: int) -> None:
    digits = f"{number:08d}"
    good = [c for c in DNI_LETTERS if _ok(digits + c)]
    assert good == [DNI_LETTERS[number % 23]]


def _ok(raw: str) -> bool:
    try:
        validate_national_id(raw)
    except NationalIdError:
        return False
    return True
