"""Tests for pipelines.lib.standards.identifiers."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from pipelines.lib.standards.identifiers import (
    USCC_ALPHABET,
    identity_check_char,
    is_valid_identity_number,
    is_valid_uscc,
    mask_identity_number,
    uscc_check_char,
)

REPO_ROOT = Path(__file__).resolve().parents[2]

# Published examples: the GB 11643 sample number, and two real credit codes.
VALID_IDENTITY = "11010519491231002X"
VALID_USCC = ["91350100M000100Y43", "91110000600037341L"]

IDENTITY_CHARS = "0123456789X"


def single_substitutions(value: str, alphabet: str) -> list[str]:
    return [
        value[:i] + c + value[i + 1 :] for i in range(len(value)) for c in alphabet if c != value[i]
    ]


def adjacent_transpositions(value: str) -> list[str]:
    return [
        value[:i] + value[i + 1] + value[i] + value[i + 2 :]
        for i in range(len(value) - 1)
        if value[i] != value[i + 1]
    ]


def with_identity_check(first17: list[str]) -> list[str]:
    return [f + c for f, c in zip(first17, identity_check_char(first17), strict=True)]


# --- published examples ------------------------------------------------------


def test_published_identity_number_is_valid() -> None:
    assert is_valid_identity_number([VALID_IDENTITY]).tolist() == [True]
    assert identity_check_char([VALID_IDENTITY[:17]]).tolist() == ["X"]


def test_published_credit_codes_are_valid() -> None:
    assert is_valid_uscc(VALID_USCC).tolist() == [True, True]
    assert uscc_check_char([v[:17] for v in VALID_USCC]).tolist() == ["3", "L"]


def test_uscc_alphabet_is_the_gb32100_one() -> None:
    assert len(USCC_ALPHABET) == 31
    assert not set("IOZSV") & set(USCC_ALPHABET)


def test_scalar_input_gives_0d_result() -> None:
    assert bool(is_valid_identity_number(VALID_IDENTITY)) is True
    assert bool(is_valid_uscc(VALID_USCC[0])) is True


# --- every single error is caught -------------------------------------------


def test_every_single_character_corruption_of_an_identity_number_is_invalid() -> None:
    corrupted = single_substitutions(VALID_IDENTITY, IDENTITY_CHARS)
    assert len(corrupted) == 18 * 10
    assert not is_valid_identity_number(corrupted).any()


@pytest.mark.parametrize("code", VALID_USCC)
def test_every_single_character_corruption_of_a_credit_code_is_invalid(code: str) -> None:
    corrupted = single_substitutions(code, USCC_ALPHABET)
    assert len(corrupted) == 18 * 30
    assert not is_valid_uscc(corrupted).any()


def test_adjacent_transpositions_are_invalid() -> None:
    ids = adjacent_transpositions(VALID_IDENTITY)
    assert not is_valid_identity_number(ids).any()
    codes = [t for code in VALID_USCC for t in adjacent_transpositions(code)]
    assert not is_valid_uscc(codes).any()


# --- format rules ------------------------------------------------------------


def test_identity_format_rules() -> None:
    cases = {
        VALID_IDENTITY: True,
        VALID_IDENTITY.lower(): False,  # lower-case x is not accepted
        VALID_IDENTITY[:17]: False,  # too short
        VALID_IDENTITY + "0": False,  # too long
        " " + VALID_IDENTITY: False,  # no stripping
        VALID_IDENTITY + " ": False,
        "１１０１０５１９４９１２３１００２X": False,  # full-width digits
        "": False,
    }
    values = list(cases)
    expected = list(cases.values())
    assert is_valid_identity_number(values).tolist() == expected


def test_identity_birth_date_must_be_a_real_date() -> None:
    cases = {
        "51010420000229001": True,  # 2000 is a leap year
        "51010419000229001": False,  # 1900 is not
        "51010420040229001": True,
        "51010420030229001": False,
        "51010419491231001": True,
        "51010419490230001": False,
        "51010419491301001": False,  # month 13
        "51010419490001001": False,  # month 0
        "51010419490100001": False,  # day 0
        "51010419490132001": False,  # day 32
        "51010417991231001": False,  # before MIN_BIRTH_YEAR
        "51010418000101001": True,
    }
    values = with_identity_check(list(cases))
    expected = list(cases.values())
    assert is_valid_identity_number(values).tolist() == expected


def test_credit_code_format_rules() -> None:
    code = VALID_USCC[0]
    cases = {
        code: True,
        code.lower(): False,
        code[:17]: False,
        code + "0": False,
        # Right check character for a body with a letter outside the alphabet.
        "91350100I000100Y4" + "3": False,
        "": False,
    }
    values = list(cases)
    expected = list(cases.values())
    assert is_valid_uscc(values).tolist() == expected


def test_nulls_and_empty_are_invalid() -> None:
    values = np.array([None, float("nan"), "", VALID_IDENTITY], dtype=object)
    assert is_valid_identity_number(values).tolist() == [False, False, False, True]
    assert is_valid_uscc(values).tolist() == [False, False, False, False]


def test_check_char_functions_reject_malformed_input() -> None:
    first17 = np.array(
        [VALID_IDENTITY[:17], VALID_IDENTITY[:16], "1101051949123100A", None], dtype=object
    )
    assert identity_check_char(first17).tolist() == ["X", "", "", ""]
    codes = np.array(
        [VALID_USCC[0][:17], VALID_USCC[0][:17].lower(), VALID_USCC[0][:16], None], dtype=object
    )
    assert uscc_check_char(codes).tolist() == ["3", "", "", ""]


# --- derived attributes ------------------------------------------------------


def test_mask_format() -> None:
    values = np.array([VALID_IDENTITY, "510104199001011234", "123", "", None], dtype=object)
    masked = mask_identity_number(values).tolist()
    assert masked == [
        "110105********002X",
        "510104********1234",
        None,  # nothing of a malformed value leaks
        None,
        None,
    ]
    # The form the warehouse contract gives dim_person.id_number_masked.
    contract = (REPO_ROOT / "contracts" / "warehouse" / "dim_person.odcs.yaml").read_text("utf-8")
    pattern = re.search(r"id_number_masked(?:.|\n)*?pattern: '(.+?)'", contract)
    assert pattern is not None
    assert all(re.fullmatch(pattern.group(1), m) for m in masked[:2])
