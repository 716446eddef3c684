"""Orders: queries, mutations and subscriptions."""

from __future__ import annotations

import strawberry


@strawberry.type
class OrdersQuery:
    pass


@strawberry.type
class OrdersMutation:
    pass


@strawberry.type
class OrdersSubscription:
    pass
