"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's guidance).

Hashing and verifying cost tens of milliseconds of CPU and 64 MiB each, on purpose. They run in
a small dedicated thread pool (argon2-cffi releases the GIL), never on the event loop: forty
concurrent wrong sign-ins must not stall every other request of the process. The pool leaves
one CPU to the event loop (with hashing on every core the loop starves for CPU: measured 0.75 s
at the 90th percentile on two cores, against 0.07 s with one hashing thread) and is bounded, so
a burst of sign-ins queues for a hashing thread instead of taking all the memory.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# A real hash to verify against when the account is unknown, so timing does not leak existence.
_DUMMY_HASH = _hasher.hash("omnicommerce-dummy-password")
_POOL = ThreadPoolExecutor(
    max_workers=max(1, min(4, (os.cpu_count() or 2) - 1)), thread_name_prefix="argon2"
)

MIN_PASSWORD_LENGTH = 10


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_POOL, _hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """False for a wrong password and for ``password_hash`` None (unknown account), after the
    same work either way."""
    return await asyncio.get_running_loop().run_in_executor(_POOL, _verify, password_hash, password)
