"""Fulfillment: queries, mutations and subscriptions."""

from __future__ import annotations

import strawberry


@strawberry.type
class FulfillmentQuery:
    pass


@strawberry.type
class FulfillmentMutation:
    pass


@strawberry.type
class FulfillmentSubscription:
    pass
