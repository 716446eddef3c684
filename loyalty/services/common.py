"""Helpers the loyalty services share."""

from __future__ import annotations

from loyalty.errors import CustomerNotActive, CustomerNotFound
from loyalty.model import CustomerStatus
from loyalty.repository import LoyaltyRepository

MAX_MERGE_HOPS = 16


async def resolve_active(
    repo: LoyaltyRepository, customer_id: int, *, field: str = "customerId"
) -> int:
    """The active customer behind ``customer_id``: itself, or the survivor it was merged into.

    Reads under FOR KEY SHARE, so a points change waits for a merge or erasure of the same
    customer in flight and then follows it, while points changes never wait for each other.
    """
    current = customer_id
    for _ in range(MAX_MERGE_HOPS):
        found = await repo.share_customer(current)
        if found is None:
            raise CustomerNotFound(f"Customer {customer_id} does not exist.", field=field)
        status, merged_into = found
        if status == CustomerStatus.ACTIVE:
            return current
        if status == CustomerStatus.ERASED or merged_into is None:
            raise CustomerNotActive(
                f"Customer {customer_id} was erased at their request; nothing can be recorded "
                "for them. Serve the sale without loyalty.",
                field=field,
            )
        current = merged_into
    raise CustomerNotActive(f"Customer {customer_id} has a broken merge chain.", field=field)
