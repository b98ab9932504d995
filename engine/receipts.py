"""Receipt codes: the complainant's only key to their case.

A receipt is `LOOKUP-SECRET` in unambiguous base32; only the lookup part is stored in clear
(to find the row), the whole code only as a salted scrypt hash. A wrong receipt costs the
same hashing work as a right one, so timing does not tell whether a lookup part exists.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_COST = {"slow": (2 ** 14, 8, 1), "fast": (2 ** 4, 8, 1)}
_DUMMY_SALT = b"complaintflow-dummy-salt"


def new_receipt() -> tuple[str, str]:
    """(receipt shown once, lookup part) — 40 bits to find the row, 120 bits of secret."""
    lookup = base64.b32encode(secrets.token_bytes(5)).decode()
    secret = base64.b32encode(secrets.token_bytes(15)).decode()
    return f"{lookup}-{secret}", lookup


def split(receipt: str) -> tuple[str, str] | None:
    receipt = (receipt or "").strip().upper().replace(" ", "")
    if receipt.count("-") != 1:
        return None
    lookup, secret = receipt.split("-")
    if len(lookup) != 8 or len(secret) != 24:
        return None
    return lookup, secret


def hash_receipt(receipt: str, cost: str = "slow", salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    n, r, p = _COST[cost]
    digest = hashlib.scrypt(receipt.strip().upper().encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${salt.hex()}${digest.hex()}"


def check_receipt(receipt: str, stored: str | None, cost: str = "slow") -> bool:
    """Constant-work comparison; `stored` None still spends the hashing time."""
    if not stored:
        hash_receipt(receipt or "x", cost, _DUMMY_SALT)
        return False
    _, n, salt_hex, digest_hex = stored.split("$")
    n_, r, p = _COST[cost]
    digest = hashlib.scrypt((receipt or "").strip().upper().encode(), salt=bytes.fromhex(salt_hex),
                            n=int(n), r=r, p=p, dklen=32)
    return hmac.compare_digest(digest.hex(), digest_hex)
