"""Returns: queries, mutations and subscriptions."""

from __future__ import annotations

import strawberry

from api.returns.mutations import ReturnsMutationFields
from api.returns.queries import ReturnsQueryFields


@strawberry.type
class ReturnsQuery(ReturnsQueryFields):
    pass


@strawberry.type
class ReturnsMutation(ReturnsMutationFields):
    pass


@strawberry.type
class ReturnsSubscription:
    pass
