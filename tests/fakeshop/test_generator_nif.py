"""Spanish DNI/NIE/CIF check characters, pinned to published example values."""

from __future__ import annotations

import random

import pytest

from fakeshop.generator import nif


@pytest.mark.parametrize(
    "value", ["12345678Z", "00000000T", "99999999R", "12.345.678-z", " 12345678z "]
)
def test_valid_dni(value: str) -> None:
    assert nif.is_valid_dni(value)
    assert nif.is_valid_nif(value)


@pytest.mark.parametrize("value", ["12345678A", "1234567Z", "123456789Z", "ABCDEFGHZ", ""])
def test_invalid_dni(value: str) -> None:
    assert not nif.is_valid_dni(value)


@pytest.mark.parametrize("value", ["X1234567L", "Y1234567X", "Z1234567R", "X0000000T"])
def test_valid_nie(value: str) -> None:
    assert nif.is_valid_nie(value)


@pytest.mark.parametrize("value", ["X1234567A", "W1234567L", "X123456L"])
def test_invalid_nie(value: str) -> None:
    assert not nif.is_valid_nie(value)


@pytest.mark.parametrize(
    "value",
    [
        "B12345674",  # digit control (B: limited company)
        "A58818501",  # digit control
        "Q2826000H",  # letter control (Q: public body)
        "P1234567D",  # letter control (P: local authority)
        "G12345674",  # G accepts a digit …
        "G1234567D",  # … or the letter
    ],
)
def test_valid_cif(value: str) -> None:
    assert nif.is_valid_cif(value)


@pytest.mark.parametrize("value", ["B12345675", "B1234567D", "Q28260008", "I12345674", "B1234567"])
def test_invalid_cif(value: str) -> None:
    assert not nif.is_valid_cif(value)


def test_control_digit_worked_example() -> None:
    # 1234567: odd positions 1,3,5,7 doubled → 2,6,10→1,14→5 = 14; even 2+4+6 = 12; 26 → 4
    assert nif.cif_control_digit("1234567") == 4


def test_generated_ids_are_valid_or_invalid_on_request() -> None:
    rng = random.Random(42)
    for kind in ("dni", "nie", "cif"):
        for _ in range(500):
            assert nif.is_valid_nif(nif.make_nif(rng, True, kind))
            assert not nif.is_valid_nif(nif.make_nif(rng, False, kind))
