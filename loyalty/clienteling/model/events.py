"""Interaction kinds, consultation states, what clients send, and the checks on it."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

MAX_BATCH = 100
MAX_RATINGS_PER_EVENT = 20
#: How long after a check-in the customer counts as "in the store" for the staff console.
VISIT_WINDOW = timedelta(hours=4)
#: Orders this many days after a consultation are credited to the consultant (default; the
#: attribution report takes another window as an argument).
ATTRIBUTION_DAYS = 14
#: Interactions older than this do not shape preferences.
PREFERENCE_HORIZON = timedelta(days=180)
PREFERENCE_EVENTS = 500


class InteractionType(enum.StrEnum):
    PRODUCT_VIEWED = "PRODUCT_VIEWED"
    SEARCHED = "SEARCHED"
    FILTER_APPLIED = "FILTER_APPLIED"
    FAVORITED = "FAVORITED"
    UNFAVORITED = "UNFAVORITED"
    COMPARED = "COMPARED"
    REVIEW_READ = "REVIEW_READ"
    STORE_CHECK_IN = "STORE_CHECK_IN"
    CONSULTANT_REQUESTED = "CONSULTANT_REQUESTED"
    PRODUCT_SCANNED = "PRODUCT_SCANNED"
    PRODUCT_RATED = "PRODUCT_RATED"


#: What the customer asked for explicitly (kept even when they opted out of personalisation);
#: everything else is behavioural data.
EXPLICIT = frozenset({InteractionType.STORE_CHECK_IN, InteractionType.CONSULTANT_REQUESTED})
NEEDS_PRODUCT = frozenset(
    {
        InteractionType.PRODUCT_VIEWED,
        InteractionType.FAVORITED,
        InteractionType.UNFAVORITED,
        InteractionType.REVIEW_READ,
        InteractionType.PRODUCT_SCANNED,
        InteractionType.PRODUCT_RATED,
    }
)
NEEDS_LOCATION = frozenset({InteractionType.STORE_CHECK_IN, InteractionType.CONSULTANT_REQUESTED})
#: Store events shown live on staff devices (subscription storeActivity).
STORE_ACTIVITY = frozenset({InteractionType.STORE_CHECK_IN, InteractionType.CONSULTANT_REQUESTED})


class ConsultationStatus(enum.StrEnum):
    REQUESTED = "REQUESTED"  # "call a consultant" in the app, waiting in the store's queue
    ACCEPTED = "ACCEPTED"  # a consultant is with the customer
    CLOSED = "CLOSED"


class Direction(enum.StrEnum):
    """What a rating says the customer wants of an attribute compared with the rated model."""

    MORE = "MORE"
    LESS = "LESS"
    JUST_RIGHT = "JUST_RIGHT"


#: Attributes where a low score means "too much" (too heavy); for the rest it means "too little".
LESS_IS_BETTER = frozenset({"weight", "impedance"})
#: Comparative words for explanations; default "more X" / "less X".
COMPARATIVES = {"weight": ("heavier", "lighter")}


# ------------------------------------------------------------------ inputs


@dataclass(frozen=True)
class AttributeScore:
    attribute: str
    score: int
    direction: Direction | None = None
    comment: str = ""


@dataclass(frozen=True)
class AttributeFilter:
    attribute: str
    min: float | None = None
    max: float | None = None
    equals: Any = None


@dataclass(frozen=True)
class Interaction:
    id: int
    type: InteractionType
    occurred_at: datetime
    product_id: int | None = None
    product_ids: tuple[int, ...] = ()
    location_id: int | None = None
    query: str | None = None
    filters: tuple[AttributeFilter, ...] = ()
    brands: tuple[str, ...] = ()
    price_min: int | None = None
    price_max: int | None = None
    ratings: tuple[AttributeScore, ...] = ()
    comment: str | None = None
    channel: str = "WEB"


@dataclass(frozen=True)
class AttributeInfo:
    code: str
    label: str  # lower-case English name, as in a sentence: "bass", "weight"
    unit: str | None = None
    min_value: float | None = None
    max_value: float | None = None


@dataclass(frozen=True)
class ProductFacts:
    id: int
    title: str  # "Sony WH-1000XM5"
    brand: str | None
    category_id: int | None
    attributes: Mapping[str, Any]
    price: int | None = None  # shelf price in minor units, the cheapest sellable variant
    currency: str = "RUB"
    in_stock: bool = True
    variant_id: int | None = None  # the variant that is in stock (or the first one)


# ------------------------------------------------------------------ validation


class EventProblem(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def check_event(e: Interaction, *, has_customer: bool, prefix: str) -> None:
    """Raises EventProblem naming the input field; the service turns it into a userError."""
    if e.type in NEEDS_PRODUCT and e.product_id is None:
        raise EventProblem(
            f"{e.type.value} needs the productId it is about.", f"{prefix}.productId"
        )
    if e.type in NEEDS_LOCATION:
        if e.location_id is None:
            raise EventProblem(
                f"{e.type.value} needs the store's locationId (from the QR at the entrance).",
                f"{prefix}.locationId",
            )
        if not has_customer:
            raise EventProblem(
                "Sign in to check in or call a consultant: the store needs to know who you are.",
                f"{prefix}.type",
            )
    if e.type is InteractionType.SEARCHED and not (e.query or "").strip():
        raise EventProblem("SEARCHED needs the query text.", f"{prefix}.query")
    if e.type is InteractionType.COMPARED and len(set(e.product_ids)) < 2:
        raise EventProblem("COMPARED needs at least two productIds.", f"{prefix}.productIds")
    if e.type is InteractionType.FILTER_APPLIED and not (
        e.filters or e.brands or e.price_min is not None or e.price_max is not None
    ):
        raise EventProblem(
            "FILTER_APPLIED needs filters, brands or a price range.", f"{prefix}.filters"
        )
    if e.price_min is not None and e.price_max is not None and e.price_min > e.price_max:
        raise EventProblem("priceMin is above priceMax; swap them.", f"{prefix}.priceMin")
    for bound in (e.price_min, e.price_max):
        if bound is not None and bound < 0:
            raise EventProblem("Prices are not negative.", f"{prefix}.priceMin")
    if e.type is InteractionType.PRODUCT_RATED and not e.ratings:
        raise EventProblem(
            "PRODUCT_RATED needs at least one rating {attribute, score}.", f"{prefix}.ratings"
        )
    if len(e.ratings) > MAX_RATINGS_PER_EVENT:
        raise EventProblem(
            f"At most {MAX_RATINGS_PER_EVENT} ratings per product.", f"{prefix}.ratings"
        )
    for j, r in enumerate(e.ratings):
        if not 1 <= r.score <= 5:
            raise EventProblem(
                f"Scores go from 1 to 5; {r.attribute} has {r.score}.",
                f"{prefix}.ratings[{j}].score",
            )
        if not r.attribute.strip():
            raise EventProblem("Name the attribute rated.", f"{prefix}.ratings[{j}].attribute")
