"""Password hashes (argon2id) and the rules a new password must meet."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
MAX_LENGTH = 256  # argon2 takes any length; this bounds the work one login request can cause

_hasher = PasswordHasher()
# Verified when the name is unknown, so a login takes as long whether or not the account exists.
_DUMMY_HASH = _hasher.hash("terugbel-no-such-user")


def password_problem(password: str) -> str | None:
    """Why this password may not be used (Dutch, for the form), or None."""
    if len(password) < MIN_LENGTH:
        return f"Het wachtwoord moet minstens {MIN_LENGTH} tekens hebben."
    if len(password) > MAX_LENGTH:
        return f"Het wachtwoord mag hoogstens {MAX_LENGTH} tekens hebben."
    if password.strip() != password:
        return "Het wachtwoord mag niet met een spatie beginnen of eindigen."
    return None


def hash_password(password: str) -> str:
    problem = password_problem(password)
    if problem is not None:
        raise ValueError(f"password: {problem}")
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with no stored hash a dummy is checked, costing the same time."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's (re-hashed at the next login)."""
    return _hasher.check_needs_rehash(stored_hash)
