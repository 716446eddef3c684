"""Loyalty use cases. Other contexts call these (inside their own unit of work):

- ``customer_tier(session, customer_id)`` -> TierStatus (pricing: ``.tier.discount_percent``)
- ``earn_points / redeem_points / reverse_points`` (orders, checkout, returns)
- ``record_spend`` (orders, returns: drives the rolling 12-month tier)
- ``register_merge_step`` (contexts that keep rows per customer)
"""

from loyalty.services.common import resolve_active
from loyalty.services.customers import (
    UNSET,
    Address,
    CustomerSignedIn,
    LookupResult,
    active_customer_id,
    add_address,
    add_identifier,
    customer_for_token,
    enrol,
    issue_qr_token,
    lookup,
    remove_address,
    sign_in,
    sign_up,
    update_profile,
    verify_identifier,
)
from loyalty.services.merge import (
    MergeContext,
    MergeResult,
    merge_customers,
    merge_steps,
    register_merge_step,
)
from loyalty.services.points import (
    PointsResult,
    adjust_points,
    customer_tier,
    earn_points,
    expire_points,
    record_spend,
    redeem_points,
    reverse_points,
)
from loyalty.services.privacy import Erasure, erase_customer

__all__ = [
    "UNSET",
    "Address",
    "CustomerSignedIn",
    "Erasure",
    "LookupResult",
    "MergeContext",
    "MergeResult",
    "PointsResult",
    "active_customer_id",
    "add_address",
    "add_identifier",
    "adjust_points",
    "customer_for_token",
    "customer_tier",
    "earn_points",
    "enrol",
    "erase_customer",
    "expire_points",
    "issue_qr_token",
    "lookup",
    "merge_customers",
    "merge_steps",
    "record_spend",
    "redeem_points",
    "register_merge_step",
    "remove_address",
    "resolve_active",
    "reverse_points",
    "sign_in",
    "sign_up",
    "update_profile",
    "verify_identifier",
]
