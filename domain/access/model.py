"""Who is calling: the client application (channel, store) and the signed-in person (role)."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field


class Channel(enum.StrEnum):
    WEB = "WEB"
    APP = "APP"
    POS = "POS"
    STAFF = "STAFF"
    BACK_OFFICE = "BACK_OFFICE"


#: Channels whose devices belong to one store; their API key must name it.
STORE_CHANNELS = frozenset({Channel.POS, Channel.STAFF})


class Role(enum.StrEnum):
    ANONYMOUS = "ANONYMOUS"  # storefront visitor, no sign-in
    CUSTOMER = "CUSTOMER"  # signed-in customer: own data only
    CASHIER = "CASHIER"  # sells and takes returns in their stores
    STORE_MANAGER = "STORE_MANAGER"  # runs their stores: staff, stock, queue
    WAREHOUSE = "WAREHOUSE"  # receives, counts, transfers, ships
    MERCHANDISER = "MERCHANDISER"  # catalog, prices, promotions
    ADMIN = "ADMIN"  # everything, every location


STAFF_ROLES = frozenset(
    {Role.CASHIER, Role.STORE_MANAGER, Role.WAREHOUSE, Role.MERCHANDISER, Role.ADMIN}
)
#: Roles that only act in the locations they are assigned to.
LOCATION_SCOPED_ROLES = frozenset({Role.CASHIER, Role.STORE_MANAGER, Role.WAREHOUSE})


class PrincipalKind(enum.StrEnum):
    ANONYMOUS = "ANONYMOUS"
    CUSTOMER = "CUSTOMER"
    STAFF = "STAFF"


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind = PrincipalKind.ANONYMOUS
    role: Role = Role.ANONYMOUS
    channel: Channel = Channel.WEB
    api_key_id: int | None = None
    client_location_id: int | None = None  # the store a POS / staff device belongs to
    staff_user_id: int | None = None
    customer_id: int | None = None
    location_ids: frozenset[int] = field(default_factory=frozenset)
    session_id: str | None = None  # anonymous cart / interaction session, when the client sends one

    @property
    def is_staff(self) -> bool:
        return self.kind is PrincipalKind.STAFF

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    @property
    def acts_everywhere(self) -> bool:
        """Staff not tied to locations (admins, merchandisers)."""
        return self.is_staff and self.role not in LOCATION_SCOPED_ROLES

    @property
    def acts_somewhere(self) -> bool:
        """Staff who may act at some location: everywhere, or at their assigned ones."""
        return self.acts_everywhere or (self.is_staff and bool(self.location_ids))

    def can_act_at(self, location_id: int) -> bool:
        """Location scoping: admins and merchandisers everywhere, others at their own stores."""
        return self.acts_everywhere or (self.is_staff and location_id in self.location_ids)

    @property
    def idempotency_scope(self) -> str:
        """The calling client (rate-limit buckets): the API key, else the signed-in person.

        Idempotency keys are not scoped by this (one public web key is shared by every shopper);
        see ``idempotency_owner``."""
        if self.api_key_id is not None:
            return f"key:{self.api_key_id}"
        if self.staff_user_id is not None:
            return f"staff:{self.staff_user_id}"
        if self.customer_id is not None:
            return f"customer:{self.customer_id}"
        return "anonymous"

    def idempotency_owner(self, *, secret: str | None = None) -> str:
        """Whose idempotency keys these are, so that a replay never reaches another person.

        A till (a POS device of a store) is its store and device key, whoever is signed in: a
        sale queued offline replays to its first answer after a change of shift. Otherwise the
        signed-in staff member or customer. An anonymous caller is their client app narrowed by
        what only they hold: the session id they send and the cart token (``secret``), hashed.
        """
        if (
            self.channel is Channel.POS
            and self.client_location_id is not None
            and self.api_key_id is not None
        ):
            return f"till:{self.client_location_id}:{self.api_key_id}"
        if self.staff_user_id is not None:
            return f"staff:{self.staff_user_id}"
        if self.customer_id is not None:
            return f"customer:{self.customer_id}"
        owner = f"key:{self.api_key_id}" if self.api_key_id is not None else "anonymous"
        if self.session_id:
            owner += f":session:{_digest(self.session_id)}"
        if secret:
            owner += f":cart:{_digest(secret)}"
        return owner

    @property
    def actor(self) -> str:
        """Who did it, for ledgers and audit rows."""
        if self.staff_user_id is not None:
            return f"staff:{self.staff_user_id}"
        if self.customer_id is not None:
            return f"customer:{self.customer_id}"
        if self.api_key_id is not None:
            return f"api_key:{self.api_key_id}"
        return "anonymous"


def _digest(value: str) -> str:
    """Short and fixed-length (the scope column is 200 characters); never the secret itself."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]
