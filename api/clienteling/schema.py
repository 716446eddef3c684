"""Clienteling: queries, mutations and subscriptions."""

from __future__ import annotations

import strawberry


@strawberry.type
class ClientelingQuery:
    pass


@strawberry.type
class ClientelingMutation:
    pass


@strawberry.type
class ClientelingSubscription:
    pass
