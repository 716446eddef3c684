"""Clienteling mutation inputs and payloads."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from api.clienteling.types import (
    ConsultationType,
    InteractionKind,
    RatingDirection,
)
from api.errors import UserError
from loyalty.clienteling import model


@strawberry.input
class AttributeRatingInput:
    attribute: str = strawberry.field(description="Catalog attribute code (bass_level, weight) "
                                      "or a free one (comfort).")  # fmt: skip
    score: int = strawberry.field(description="1 (poor) to 5 (great).")
    direction: RatingDirection | None = None
    comment: str | None = None


@strawberry.input
class AttributeFilterInput:
    attribute: str
    min: float | None = None
    max: float | None = None
    equals: JSON | None = None


@strawberry.input
class InteractionInput:
    type: InteractionKind
    client_event_id: str | None = strawberry.field(
        default=None, description="The client's id for the event: a resent batch stores it once."
    )
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it happened on the device; default now."
    )
    product_id: relay.GlobalID | None = None
    variant_id: relay.GlobalID | None = None
    product_ids: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="COMPARED: the models compared."
    )
    location_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The store: check-in, consultant request, scans, ratings."
    )
    query: str | None = None
    filters: list[AttributeFilterInput] | None = None
    brands: list[str] | None = None
    price_min: int | None = strawberry.field(default=None, description="Minor units (kopecks).")
    price_max: int | None = None
    ratings: list[AttributeRatingInput] | None = None
    comment: str | None = None


@strawberry.input
class InteractionsRecordInput:
    events: list[InteractionInput] = strawberry.field(
        description=f"At most {model.MAX_BATCH} per call."
    )
    session_id: str | None = strawberry.field(
        default=None,
        description="Anonymous browsing session (else the X-Session-Id header). Signed in: "
        "that session's earlier anonymous events join the customer.",
    )
    customer_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Staff recording on a customer's behalf; customers omit it."
    )


@strawberry.type
class InteractionsRecordPayload:
    user_errors: list[UserError]
    recorded: int = 0
    duplicates: int = strawberry.field(default=0, description="Already recorded (replays).")
    skipped: int = strawberry.field(
        default=0, description="Behavioural events not kept: the customer opted out."
    )
    joined: int = strawberry.field(
        default=0, description="Anonymous session events that joined the customer."
    )
    consultations: list[ConsultationType] = strawberry.field(default_factory=list)


@strawberry.input
class InteractionsSessionJoinInput:
    session_id: str | None = strawberry.field(
        default=None, description="Default: the X-Session-Id header."
    )


@strawberry.type
class InteractionsSessionJoinPayload:
    user_errors: list[UserError]
    joined: int = 0


@strawberry.input
class CustomerPersonalisationSetInput:
    enabled: bool
    customer_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Staff at the customer's request; customers omit it."
    )


@strawberry.type
class CustomerPersonalisationSetPayload:
    user_errors: list[UserError]
    enabled: bool | None = None


@strawberry.input
class ConsultationAcceptInput:
    consultation_id: relay.GlobalID


@strawberry.input
class ConsultationStartInput:
    customer_id: relay.GlobalID
    location_id: relay.GlobalID


@strawberry.input
class ConsultationCloseInput:
    consultation_id: relay.GlobalID
    summary: str | None = None


@strawberry.type
class ConsultationPayload:
    user_errors: list[UserError]
    consultation: ConsultationType | None = None
    replayed: bool = False


@strawberry.input
class ProductRatingInput:
    product_id: relay.GlobalID
    scores: list[AttributeRatingInput]
    variant_id: relay.GlobalID | None = None
    comment: str | None = None
    client_event_id: str | None = None


@strawberry.input
class ConsultationRatingsRecordInput:
    consultation_id: relay.GlobalID
    ratings: list[ProductRatingInput]


@strawberry.type
class ConsultationRatingsRecordPayload:
    user_errors: list[UserError]
    recorded: int = 0
    duplicates: int = 0
    skipped: int = 0
    consultation: ConsultationType | None = None
