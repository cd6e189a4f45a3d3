"""Keyed pseudonyms: HMAC-SHA256 of a stable entity key, with a secret from the environment.

Every department without a grant for personal data receives the same pseudonym for the
same person (computed over `person_key`, which the linkage keeps stable), so two
extracts join on it; without the secret nobody can compute a pseudonym from a key or
an identity number, and so cannot recover one from the other (tests/publish).

The secret is `$SAFECITY_PSEUDONYM_KEY`, never a file in the repository or the data
directory. `make demo`, `make dev` and the test suite export a development key that says
so in its value; a real deployment sets its own, and keeps it: a new key gives every
person a new pseudonym, breaking joins with extracts published before.

The HMAC is computed in SQL, as RFC 2104 spells it out (H((K ^ opad) || H((K ^ ipad) || m))),
with the two padded keys as query parameters: the secret never appears in SQL text, and
the whole column is hashed inside DuckDB. `pseudonym()` is the same function in Python,
for tests and for anyone checking a value.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from pipelines.lib import settings

PSEUDONYM_KEY_ENV = settings.PSEUDONYM_KEY.name
_BLOCK = 64  # SHA-256 block size in bytes


class PseudonymKeyError(Exception):
    """The pseudonym secret is missing or unusable."""


@dataclass(frozen=True)
class PseudonymKey:
    secret: bytes = b""

    def __repr__(self) -> str:  # never print the secret in logs or tracebacks
        return "PseudonymKey(<secret>)"

    def sql_parameters(self) -> dict[str, bytes]:
        """The padded keys the SQL expression `hmac_sql` reads as $hmac_ipad and $hmac_opad."""
        key = hashlib.sha256(self.secret).digest() if len(self.secret) > _BLOCK else self.secret
        key = key.ljust(_BLOCK, b"\0")
        return {
            "hmac_ipad": bytes(b ^ 0x36 for b in key),
            "hmac_opad": bytes(b ^ 0x5C for b in key),
        }


def key_from_environment() -> PseudonymKey:
    """The key from `$SAFECITY_PSEUDONYM_KEY` (settings.py states and enforces its minimum length)."""
    try:
        return PseudonymKey(settings.pseudonym_key())
    except settings.SettingError as error:
        raise PseudonymKeyError(str(error)) from None


def pseudonym(key: PseudonymKey, value: str) -> str:
    """HMAC-SHA256 of `value` (UTF-8) under the key, as 64 lowercase hex characters."""
    return hmac.new(key.secret, value.encode("utf-8"), hashlib.sha256).hexdigest()


def hmac_sql(column_sql: str) -> str:
    """SQL for pseudonym(key, column): reads the parameters of `PseudonymKey.sql_parameters`.

    `column_sql` is an already quoted identifier; NULL stays NULL.
    """
    inner = f"unhex(sha256($hmac_ipad || encode({column_sql})))"
    return f"sha256($hmac_opad || {inner})"
