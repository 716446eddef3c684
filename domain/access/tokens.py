"""Signed, expiring bearer tokens (HS256 JWT) for staff and customers."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt

from domain.access.errors import InvalidToken
from domain.access.model import PrincipalKind, Role

ISSUER = "omnicommerce"


@dataclass(frozen=True)
class TokenClaims:
    kind: PrincipalKind
    subject_id: int
    role: Role
    expires_at: int


def issue_token(
    *, secret: str, kind: PrincipalKind, subject_id: int, role: Role, ttl_seconds: int
) -> tuple[str, int]:
    now = int(time.time())
    expires_at = now + ttl_seconds
    token = jwt.encode(
        {
            "iss": ISSUER,
            "sub": f"{kind.value.lower()}:{subject_id}",
            "role": role.value,
            "iat": now,
            "exp": expires_at,
            "jti": uuid.uuid4().hex,
        },
        secret,
        algorithm="HS256",
    )
    return token, expires_at


def verify_token(token: str, *, secret: str) -> TokenClaims:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            issuer=ISSUER,
            options={"require": ["exp", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("Your sign-in has expired; sign in again.") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("The bearer token is not valid; sign in again.") from exc
    kind_name, _, raw_id = str(claims["sub"]).partition(":")
    try:
        kind = PrincipalKind(kind_name.upper())
        return TokenClaims(
            kind=kind,
            subject_id=int(raw_id),
            role=Role(claims["role"]),
            expires_at=int(claims["exp"]),
        )
    except (ValueError, KeyError) as exc:
        raise InvalidToken("The bearer token is not valid; sign in again.") from exc
