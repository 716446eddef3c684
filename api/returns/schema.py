"""Returns: queries, mutations and subscriptions."""

from __future__ import annotations

import strawberry


@strawberry.type
class ReturnsQuery:
    pass


@strawberry.type
class ReturnsMutation:
    pass


@strawberry.type
class ReturnsSubscription:
    pass
