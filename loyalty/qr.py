"""The app's rotating QR code: a short HMAC-signed token naming the customer.

Format ``OCQ1.<customer id>.<generation>.<expires at, unix>.<signature>``: short enough for a
small QR code, checked without a database read for its signature and expiry. ``generation`` is
the customer's counter, bumped each time the app asks for a fresh code, so a screenshot of an
earlier code stops working as soon as a newer one exists (rotation), and every code dies after
its TTL anyway.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from loyalty.errors import QrTokenExpired, QrTokenInvalid

PREFIX = "OCQ1"
DEFAULT_TTL_SECONDS = 300
_CONTEXT = b"omnicommerce/loyalty-qr/v1"  # domain separation from bearer tokens


@dataclass(frozen=True)
class QrClaims:
    customer_id: int
    generation: int
    expires_at: int


def _signature(secret: str, body: str) -> str:
    key = hmac.new(secret.encode(), _CONTEXT, hashlib.sha256).digest()
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue(*, secret: str, customer_id: int, generation: int, now: int, ttl_seconds: int) -> str:
    body = f"{PREFIX}.{customer_id}.{generation}.{now + ttl_seconds}"
    return f"{body}.{_signature(secret, body)}"


def looks_like_qr(text: str) -> bool:
    return text.strip().upper().startswith(PREFIX + ".")


def read(token: str, *, secret: str, now: int, field: str = "identifier") -> QrClaims:
    parts = token.strip().split(".")
    invalid = QrTokenInvalid(
        "This QR code was not issued by Omnicommerce or is damaged; ask the customer to open "
        "their card in the app and scan again.",
        field=field,
    )
    if len(parts) != 5 or parts[0].upper() != PREFIX:
        raise invalid
    body = ".".join([PREFIX, *parts[1:4]])
    if not hmac.compare_digest(_signature(secret, body), parts[4]):
        raise invalid
    try:
        claims = QrClaims(int(parts[1]), int(parts[2]), int(parts[3]))
    except ValueError as exc:
        raise invalid from exc
    if claims.expires_at <= now:
        at = datetime.fromtimestamp(claims.expires_at, UTC).strftime("%H:%M:%S UTC")
        raise QrTokenExpired(
            f"This QR code expired at {at}; ask the customer to refresh the code in the app.",
            field=field,
        )
    return claims
