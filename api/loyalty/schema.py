"""The loyalty context's part of the schema (added to ``api.schema``'s Query and Mutation)."""

from api.loyalty.mutations import LoyaltyMutation
from api.loyalty.queries import LoyaltyQuery

__all__ = ["LoyaltyMutation", "LoyaltyQuery"]
