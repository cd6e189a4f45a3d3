"""Check characters and validation of Chinese national identifiers.

Two standards (docs/architecture.md, "Standards the contracts enforce"):

* **Resident identity number, GB 11643-1999.** 18 characters: a 6-digit
  administrative area code, the birth date as 8 digits ``YYYYMMDD``, a
  3-digit sequence number (odd for men, even for women) and a check
  character computed with ISO 7064 MOD 11-2: the first 17 digits are
  weighted ``7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2`` (that is, 2^(17-i) mod 11),
  and the weighted sum mod 11 (0..10) selects ``1 0 X 9 8 7 6 5 4 3 2``.
* **Unified social credit code, GB 32100-2015.** 18 characters over the
  31-character alphabet ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (values 0..30;
  I, O, Z, S and V are left out to avoid misreading). Positions 1..17 are
  weighted 3^(i-1) mod 31 and the check character is the alphabet entry for
  ``(31 - sum mod 31) mod 31``. Only this check character is verified; the
  embedded GB 11714 organisation code (positions 9..17) is not checked
  separately.

Both checks detect every single-character substitution, which the tests
verify exhaustively on published examples.

Everything is vectorised: the input becomes a fixed-width unicode array viewed as a
``(rows, 18)`` matrix of uint32 code points, so a check is a handful of whole-matrix
operations (ingestion runs them on each batch of a column).

Upper case only: a lower-case ``x`` check character or lower-case letters
in a credit code are invalid. The standards print them upper case, and
accepting both would let two spellings of one identifier into the warehouse;
upper-case a feed before validating it if it is known to be sloppy.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

BoolArray = npt.NDArray[np.bool_]

IDENTITY_LENGTH = 18
IDENTITY_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
IDENTITY_CHECK_CHARS = "10X98765432"  # indexed by weighted sum mod 11

# The birth-date check is pure (it never looks at today's date), so it can
# only bound the year to a plausible range; a birth date later than the day a
# number was delivered is caught by ingestion (identity_birth_days).
MIN_BIRTH_YEAR = 1800
MAX_BIRTH_YEAR = 2099

USCC_LENGTH = 18
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1 3 9 27 19 ... 28

_ID_MASK_STARS = 8
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

_ID_WEIGHTS_NP = np.array(IDENTITY_WEIGHTS, dtype=np.int64)
_ID_CHECK_CODES_NP = np.array([ord(c) for c in IDENTITY_CHECK_CHARS], dtype=np.uint32)
_USCC_WEIGHTS_NP = np.array(USCC_WEIGHTS, dtype=np.int64)
_USCC_CODES_NP = np.array([ord(c) for c in USCC_ALPHABET], dtype=np.uint32)
# Code point -> alphabet value, -1 for characters outside the alphabet. Only
# ASCII can be in the alphabet, so a 128-entry table covers it.
_USCC_VALUE_BY_CODE = np.full(128, -1, dtype=np.int64)
_USCC_VALUE_BY_CODE[_USCC_CODES_NP] = np.arange(len(USCC_ALPHABET))
_DAYS_IN_MONTH_NP = np.array(_DAYS_IN_MONTH, dtype=np.int64)

_ZERO = ord("0")
_NINE = ord("9")
_STAR = ord("*")


# ---------------------------------------------------------------------------
# numpy
# ---------------------------------------------------------------------------


def _as_strings(values: npt.ArrayLike) -> tuple[np.ndarray, BoolArray]:
    """Flatten ``values`` to a 1-D unicode array plus a "was null" mask.

    None and float NaN (how pandas and polars hand out missing strings in
    object arrays) become "" and are flagged. Anything else is converted with
    ``str`` by numpy's own cast, without a Python-level loop.
    """
    arr = np.asarray(values)
    flat = arr.reshape(-1)
    if flat.dtype.kind == "U":
        return flat, np.zeros(flat.shape, dtype=np.bool_)
    obj = flat.astype(object)
    # `obj != obj` is the vectorised NaN test (NaN is the only value unequal
    # to itself); `== None` compares element-wise on object arrays.
    is_null = np.asarray((obj == None) | (obj != obj), dtype=np.bool_)  # noqa: E711
    as_str = np.where(is_null, "", obj).astype(str)
    return as_str, is_null


def _code_points(strings: np.ndarray, width: int) -> npt.NDArray[np.uint32]:
    """View strings as a ``(rows, width)`` matrix of code points.

    Shorter strings are padded with 0 and longer ones truncated, so callers
    must check the length separately.
    """
    fixed = np.ascontiguousarray(strings.astype(f"<U{width}"))
    return fixed.view(np.uint32).reshape(len(fixed), width)


def _digit_values(codes: npt.NDArray[np.uint32]) -> tuple[npt.NDArray[np.int64], BoolArray]:
    """Digit values of a code-point matrix and whether each cell is an ASCII digit."""
    is_digit = (codes >= _ZERO) & (codes <= _NINE)
    values = np.where(is_digit, codes.astype(np.int64) - _ZERO, 0)
    return values, is_digit


def _weighted_number(digits: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Read consecutive digit columns as a decimal number."""
    powers = 10 ** np.arange(digits.shape[1] - 1, -1, -1, dtype=np.int64)
    return digits @ powers


def _is_real_date_np(
    year: npt.NDArray[np.int64], month: npt.NDArray[np.int64], day: npt.NDArray[np.int64]
) -> BoolArray:
    """Gregorian calendar check, with the year bounded to plausible birth years."""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    days = _DAYS_IN_MONTH_NP[np.clip(month, 1, 12) - 1] + (leap & (month == 2))
    return (
        (year >= MIN_BIRTH_YEAR) & (year <= MAX_BIRTH_YEAR) & month_ok & (day >= 1) & (day <= days)
    )


def _identity_check_codes(digits17: npt.NDArray[np.int64]) -> npt.NDArray[np.uint32]:
    """ISO 7064 MOD 11-2 check character (as a code point) per row of 17 digits."""
    return _ID_CHECK_CODES_NP[(digits17 @ _ID_WEIGHTS_NP) % 11]


def _parse_identity(
    values: npt.ArrayLike,
) -> tuple[BoolArray, npt.NDArray[np.int64], tuple[int, ...]]:
    """Validity mask and the 18 digit values (X counts as 0) per flattened row."""
    shape = np.shape(values)
    strings, is_null = _as_strings(values)
    codes = _code_points(strings, IDENTITY_LENGTH)
    digits, is_digit = _digit_values(codes)
    right_length = np.char.str_len(strings) == IDENTITY_LENGTH
    body_digits = is_digit[:, :17].all(axis=1)
    birth_ok = _is_real_date_np(
        _weighted_number(digits[:, 6:10]),
        _weighted_number(digits[:, 10:12]),
        _weighted_number(digits[:, 12:14]),
    )
    check_ok = codes[:, 17] == _identity_check_codes(digits[:, :17])
    valid = ~is_null & right_length & body_digits & birth_ok & check_ok
    return valid, digits, shape


def identity_check_char(first17: npt.ArrayLike) -> npt.NDArray[np.str_]:
    """GB 11643 check character for each string of the first 17 digits.

    Returns a ``<U1`` array of ``0-9`` or ``X``; ``""`` where the input is
    null or not exactly 17 ASCII digits.
    """
    shape = np.shape(first17)
    strings, is_null = _as_strings(first17)
    codes = _code_points(strings, 17)
    digits, is_digit = _digit_values(codes)
    ok = ~is_null & (np.char.str_len(strings) == 17) & is_digit.all(axis=1)
    check = _identity_check_codes(digits).view("<U1")
    return np.where(ok, check, "").astype("<U1").reshape(shape)


def is_valid_identity_number(values: npt.ArrayLike) -> BoolArray:
    """True where a value is a valid GB 11643 18-character identity number.

    Requires: exactly 18 characters; the first 17 ASCII digits; characters
    7-14 a real Gregorian date ``YYYYMMDD`` with the year in
    ``MIN_BIRTH_YEAR..MAX_BIRTH_YEAR``; and the last character equal to the
    MOD 11-2 check character, which must be an upper-case ``X`` when it is
    10 (lower-case ``x`` is invalid). The area code is not looked up here.
    None, NaN and empty strings are False; no whitespace is stripped.
    """
    valid, _, shape = _parse_identity(values)
    return valid.reshape(shape)


def identity_birth_days(values: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The birth date of each identity number as the number YYYYMMDD (characters 7-14).

    Meaningful where `is_valid_identity_number` is true; compare it with a day's
    ``year * 10000 + month * 100 + day``.
    """
    shape = np.shape(values)
    strings, _ = _as_strings(values)
    digits, _ = _digit_values(_code_points(strings, IDENTITY_LENGTH))
    return _weighted_number(digits[:, 6:14]).reshape(shape)


def _uscc_values(codes: npt.NDArray[np.uint32]) -> tuple[npt.NDArray[np.int64], BoolArray]:
    """Alphabet values of a code-point matrix and whether each cell is in the alphabet."""
    ascii_codes = np.where(codes < 128, codes, 0)  # 0 (NUL) maps to -1 below
    values = _USCC_VALUE_BY_CODE[ascii_codes]
    in_alphabet = values >= 0
    return np.where(in_alphabet, values, 0), in_alphabet


def _uscc_check_codes(values17: npt.NDArray[np.int64]) -> npt.NDArray[np.uint32]:
    return _USCC_CODES_NP[(31 - (values17 @ _USCC_WEIGHTS_NP) % 31) % 31]


def uscc_check_char(first17: npt.ArrayLike) -> npt.NDArray[np.str_]:
    """GB 32100 check character for each string of the first 17 characters.

    Returns a ``<U1`` array; ``""`` where the input is null, not exactly 17
    characters, or contains a character outside the upper-case alphabet.
    """
    shape = np.shape(first17)
    strings, is_null = _as_strings(first17)
    values, in_alphabet = _uscc_values(_code_points(strings, 17))
    ok = ~is_null & (np.char.str_len(strings) == 17) & in_alphabet.all(axis=1)
    check = _uscc_check_codes(values).view("<U1")
    return np.where(ok, check, "").astype("<U1").reshape(shape)


def is_valid_uscc(values: npt.ArrayLike) -> BoolArray:
    """True where a value is a valid GB 32100 unified social credit code.

    Requires exactly 18 characters from the upper-case alphabet and the
    correct MOD 31 check character. None, NaN and empty strings are False.
    """
    shape = np.shape(values)
    strings, is_null = _as_strings(values)
    codes = _code_points(strings, USCC_LENGTH)
    values18, in_alphabet = _uscc_values(codes)
    valid = (
        ~is_null
        & (np.char.str_len(strings) == USCC_LENGTH)
        & in_alphabet.all(axis=1)
        & (codes[:, 17] == _uscc_check_codes(values18[:, :17]))
    )
    return valid.reshape(shape)


def mask_identity_number(values: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """Identity numbers as the warehouse shows them: first 6 and last 4 characters kept.

    ``"11010519491231002X"`` -> ``"110105********002X"``, the form of `dim_person.id_number_masked`
    in the warehouse contract. An 18-character value is masked whether or not it is valid;
    anything else (malformed, empty, null) becomes None, so nothing of it leaks. The warehouse
    applies the same rule in SQL (the dbt macro `mask_identity`); this is the one Python form.
    Returns an object array of str/None.
    """
    shape = np.shape(values)
    strings, is_null = _as_strings(values)
    codes = _code_points(strings, IDENTITY_LENGTH).copy()
    codes[:, 6 : 6 + _ID_MASK_STARS] = _STAR
    masked = codes.view(f"<U{IDENTITY_LENGTH}").reshape(-1).astype(object)
    whole = (np.char.str_len(strings) == IDENTITY_LENGTH) & ~is_null
    return np.where(whole, masked, None).reshape(shape)  # type: ignore[call-overload]  # numpy's stubs: None is no ArrayLike, though np.where takes it
