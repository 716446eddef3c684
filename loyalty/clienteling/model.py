"""Clienteling rules (pure): what the interactions say about a customer, with the evidence for
each conclusion, and how candidate products rank against it, with concrete explanations.

No SQL here: the services load interactions, product facts and stock, and call these functions.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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


# ------------------------------------------------------------------ preferences


@dataclass(frozen=True)
class Evidence:
    kind: InteractionType
    interaction_id: int
    occurred_at: datetime
    product_id: int | None
    text: str


@dataclass(frozen=True)
class AttributePreference:
    """``value`` compared by ``bound``: MIN (candidate above), MAX (below), NEAR, EQUALS."""

    attribute: str
    bound: str
    value: Any
    strict: bool
    source: InteractionType  # PRODUCT_RATED or FILTER_APPLIED
    description: str
    evidence: Evidence
    reference_title: str | None = None
    reference_score: int | None = None

    @property
    def weight(self) -> float:
        return 3.0 if self.source is InteractionType.PRODUCT_RATED else 2.0


@dataclass(frozen=True)
class Weighted:
    key: Any
    label: str
    weight: float
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Note:
    """An opinion on something the catalog does not measure (comfort): shown, not scored."""

    attribute: str
    score: int
    comment: str
    product_id: int | None
    evidence: Evidence


@dataclass(frozen=True)
class Preferences:
    price_min: int | None = None
    price_max: int | None = None
    price_evidence: Evidence | None = None
    brands: tuple[Weighted, ...] = ()
    categories: tuple[Weighted, ...] = ()
    attributes: tuple[AttributePreference, ...] = ()
    notes: tuple[Note, ...] = ()
    favourites: tuple[int, ...] = ()
    rejected: frozenset[int] = frozenset()
    liked: Mapping[int, Evidence] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (
            self.attributes or self.brands or self.categories or self.price_max or self.price_min
        )


def fmt_number(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}".replace(",", " ")
    return str(value)


def fmt_money(minor: int, currency: str = "RUB") -> str:
    major, cents = divmod(minor, 100)
    sign = "₽" if currency == "RUB" else currency
    text = fmt_number(major) + (f",{cents:02d}" if cents else "")
    return f"{text} {sign}"


def _with_unit(value: Any, info: AttributeInfo | None) -> str:
    unit = info.unit if info and info.unit else ""
    return f"{fmt_number(value)} {unit}".strip()


def _label(code: str, attributes: Mapping[str, AttributeInfo]) -> str:
    info = attributes.get(code)
    return info.label if info else code.replace("_", " ")


def _comparative(code: str, label: str, more: bool) -> str:
    words = COMPARATIVES.get(code)
    if words:
        return words[0] if more else words[1]
    return f"more {label}" if more else f"less {label}"


def _direction(code: str, score: AttributeScore) -> Direction | None:
    if score.direction is not None:
        return score.direction
    if score.score <= 2:
        return Direction.LESS if code in LESS_IS_BETTER else Direction.MORE
    if score.score >= 4:
        return Direction.JUST_RIGHT
    return None


def _numeric(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def _rating_preferences(
    e: Interaction,
    product: ProductFacts | None,
    attributes: Mapping[str, AttributeInfo],
) -> tuple[list[AttributePreference], list[Note]]:
    prefs: list[AttributePreference] = []
    notes: list[Note] = []
    title = product.title if product else f"product {e.product_id}"
    for r in e.ratings:
        code = r.attribute
        label = _label(code, attributes)
        ev = Evidence(
            e.type,
            e.id,
            e.occurred_at,
            e.product_id,
            f"rated {title} {r.score}/5 for {label}" + (f': "{r.comment}"' if r.comment else ""),
        )
        value = _numeric(product.attributes.get(code)) if product else None
        direction = _direction(code, r)
        if code not in attributes or value is None or direction is None:
            notes.append(Note(code, r.score, r.comment, e.product_id, ev))
            continue
        shown = _with_unit(value, attributes.get(code))
        if direction is Direction.JUST_RIGHT:
            prefs.append(
                AttributePreference(
                    code, "NEAR", value, False, e.type,
                    f"likes {label} around {shown}, as in {title}", ev, title, r.score,
                )
            )  # fmt: skip
        else:
            more = direction is Direction.MORE
            prefs.append(
                AttributePreference(
                    code, "MIN" if more else "MAX", value, True, e.type,
                    f"wants {_comparative(code, label, more)} than {title} ({shown})",
                    ev, title, r.score,
                )
            )  # fmt: skip
    return prefs, notes


def _filter_preferences(
    e: Interaction, attributes: Mapping[str, AttributeInfo]
) -> list[AttributePreference]:
    out = []
    for f in e.filters:
        label = _label(f.attribute, attributes)
        info = attributes.get(f.attribute)

        def ev(text: str) -> Evidence:
            return Evidence(e.type, e.id, e.occurred_at, None, f"filtered {text} on {e.channel}")

        if f.max is not None:
            text = f"{label} up to {_with_unit(f.max, info)}"
            desc = (
                f"under {_with_unit(f.max, info)}"
                if f.attribute == "weight"
                else f"{label} up to {_with_unit(f.max, info)}"
            )
            out.append(
                AttributePreference(f.attribute, "MAX", f.max, False, e.type, desc, ev(text))
            )
        if f.min is not None:
            text = f"{label} from {_with_unit(f.min, info)}"
            out.append(
                AttributePreference(
                    f.attribute, "MIN", f.min, False, e.type,
                    f"{label} at least {_with_unit(f.min, info)}", ev(text),
                )
            )  # fmt: skip
        if f.equals is not None:
            shown = fmt_number(f.equals)
            text = f"{label}: {shown}"
            desc = label if f.equals is True else f"{label}: {shown}"
            out.append(
                AttributePreference(f.attribute, "EQUALS", f.equals, False, e.type, desc, ev(text))
            )
    return out


def current_favourites(interactions: Iterable[Interaction]) -> list[int]:
    """Favourited and not unfavourited since, most recent first. ``interactions``: newest first."""
    seen: dict[int, bool] = {}
    for e in interactions:
        if e.product_id is None or e.product_id in seen:
            continue
        if e.type is InteractionType.FAVORITED:
            seen[e.product_id] = True
        elif e.type is InteractionType.UNFAVORITED:
            seen[e.product_id] = False
    return [pid for pid, on in seen.items() if on]


_INTEREST = {
    InteractionType.PRODUCT_VIEWED: 1.0,
    InteractionType.REVIEW_READ: 1.0,
    InteractionType.PRODUCT_SCANNED: 1.5,
    InteractionType.COMPARED: 2.0,
    InteractionType.FAVORITED: 3.0,
}


def derive_preferences(
    interactions: Sequence[Interaction],
    products: Mapping[int, ProductFacts],
    attributes: Mapping[str, AttributeInfo],
) -> Preferences:
    """What the interactions (newest first) say: price range (latest filter), brands and
    categories by interest, attribute preferences from in-store ratings and web filters (the
    newest per attribute and reference model), notes on unmeasured attributes, favourites,
    rejected (rated 2/5 or below on average) and liked (4/5 and above) models."""
    price_min = price_max = None
    price_ev: Evidence | None = None
    brand_weight: Counter[str] = Counter()
    brand_ev: dict[str, list[Evidence]] = {}
    cat_weight: Counter[int] = Counter()
    cat_ev: dict[int, list[Evidence]] = {}
    prefs: dict[tuple[str, str, Any], AttributePreference] = {}
    notes: list[Note] = []
    rejected: set[int] = set()
    liked: dict[int, Evidence] = {}
    rated: set[int] = set()
    favourites = current_favourites(interactions)

    def interest(pid: int, weight: float, ev: Evidence) -> None:
        p = products.get(pid)
        if p is None:
            return
        if p.brand:
            brand_weight[p.brand] += weight
            brand_ev.setdefault(p.brand, []).append(ev)
        if p.category_id is not None:
            cat_weight[p.category_id] += weight
            cat_ev.setdefault(p.category_id, []).append(ev)

    for e in interactions:
        if e.type is InteractionType.FILTER_APPLIED:
            if price_ev is None and (e.price_min is not None or e.price_max is not None):
                price_min, price_max = e.price_min, e.price_max
                price_ev = Evidence(
                    e.type, e.id, e.occurred_at, None,
                    f"filtered prices {_range_text(price_min, price_max)} on {e.channel}",
                )  # fmt: skip
            for brand in e.brands:
                ev = Evidence(e.type, e.id, e.occurred_at, None, f"filtered brand {brand}")
                brand_weight[brand] += 2.0
                brand_ev.setdefault(brand, []).append(ev)
            for pref in _filter_preferences(e, attributes):
                prefs.setdefault((pref.attribute, pref.bound, None), pref)
        elif e.type is InteractionType.PRODUCT_RATED and e.product_id is not None:
            if e.product_id in rated:
                continue  # a newer rating of the same model supersedes this one
            rated.add(e.product_id)
            product = products.get(e.product_id)
            new_prefs, new_notes = _rating_preferences(e, product, attributes)
            for pref in new_prefs:
                prefs.setdefault((pref.attribute, pref.bound, e.product_id), pref)
            notes.extend(new_notes)
            average = sum(r.score for r in e.ratings) / len(e.ratings)
            title = product.title if product else f"product {e.product_id}"
            scores = ", ".join(f"{_label(r.attribute, attributes)} {r.score}/5" for r in e.ratings)
            ev = Evidence(e.type, e.id, e.occurred_at, e.product_id, f"rated {title}: {scores}")
            if average <= 2.5:
                rejected.add(e.product_id)
            elif average >= 4:
                liked[e.product_id] = ev
                interest(e.product_id, 3.0, ev)
        elif e.type in _INTEREST:
            pids = e.product_ids if e.type is InteractionType.COMPARED else (e.product_id,)
            for pid in pids:
                if pid is None or pid in rejected:
                    continue
                p = products.get(pid)
                verb = {
                    InteractionType.PRODUCT_VIEWED: "viewed",
                    InteractionType.REVIEW_READ: "read reviews of",
                    InteractionType.PRODUCT_SCANNED: "scanned in a store",
                    InteractionType.COMPARED: "compared",
                    InteractionType.FAVORITED: "favourited",
                }[e.type]
                text = f"{verb} {p.title if p else f'product {pid}'}"
                interest(pid, _INTEREST[e.type], Evidence(e.type, e.id, e.occurred_at, pid, text))

    def top(
        weights: Counter[Any], evidence: dict[Any, list[Evidence]], label: Any
    ) -> tuple[Weighted, ...]:
        ranked = sorted(weights.items(), key=lambda kv: (-kv[1], str(kv[0])))[:5]
        return tuple(Weighted(k, label(k), w, tuple(evidence.get(k, [])[:5])) for k, w in ranked)

    return Preferences(
        price_min=price_min,
        price_max=price_max,
        price_evidence=price_ev,
        brands=top(brand_weight, brand_ev, str),
        categories=top(cat_weight, cat_ev, str),
        attributes=tuple(prefs.values()),
        notes=tuple(notes),
        favourites=tuple(favourites),
        rejected=frozenset(rejected),
        liked=liked,
    )


def _range_text(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"{fmt_money(low)}–{fmt_money(high)}"
    if high is not None:
        return f"up to {fmt_money(high)}"
    return f"from {fmt_money(low or 0)}"


# ------------------------------------------------------------------ recommendations


@dataclass(frozen=True)
class Recommendation:
    product: ProductFacts
    score: float
    reasons: tuple[str, ...]
    misses: tuple[str, ...]


def _meets(pref: AttributePreference, value: Any, info: AttributeInfo | None) -> bool | None:
    if pref.bound == "EQUALS":
        return bool(value == pref.value)
    v, bound = _numeric(value), _numeric(pref.value)
    if v is None or bound is None:
        return None
    if pref.bound == "MIN":
        return v > bound if pref.strict else v >= bound
    if pref.bound == "MAX":
        return v < bound if pref.strict else v <= bound
    span = (info.max_value - info.min_value) if info and info.max_value and info.min_value else None
    tolerance = max(1.0, (span or abs(bound)) * 0.1)
    return abs(v - bound) <= tolerance


def explain(
    pref: AttributePreference, value: Any, attributes: Mapping[str, AttributeInfo], met: bool
) -> str:
    """A sentence built from the attribute values: "more bass than Sony WH-1000XM5, which you
    rated 2/5 for bass", "weighs 230 g, under your 250 g"."""
    code = pref.attribute
    label = _label(code, attributes)
    info = attributes.get(code)
    shown, limit = _with_unit(value, info), _with_unit(pref.value, info)
    if pref.source is InteractionType.PRODUCT_RATED:
        rated = f"which you rated {pref.reference_score}/5 for {label}"
        if pref.bound == "NEAR":
            if met:
                return f"{label} {shown}, like {pref.reference_title}, {rated}"
            return f"{label} {shown}, unlike {pref.reference_title} ({limit}), {rated}"
        more = pref.bound == "MIN"
        if met:
            return f"{_comparative(code, label, more)} than {pref.reference_title}, {rated}"
        return (
            f"no {_comparative(code, label, more)} than {pref.reference_title} "
            f"({shown} vs {limit}), {rated}"
        )
    if pref.bound == "EQUALS":
        return (
            f"{label}: {fmt_number(value)}, as you filtered"
            if met
            else (f"{label}: {fmt_number(value)}, you filtered {fmt_number(pref.value)}")
        )
    if code == "weight":
        if _numeric(value) == _numeric(pref.value):
            return f"weighs {shown}, right at your {limit}"
        if pref.bound == "MAX":
            return f"weighs {shown}, {'under' if met else 'over'} your {limit}"
        return f"weighs {shown}, {'over' if met else 'under'} your {limit}"
    if pref.bound == "MAX":
        return f"{label} {shown}, {'within' if met else 'above'} your {limit} limit"
    return f"{label} {shown}, {'at least' if met else 'below'} your {limit}"


def _similarity(
    a: ProductFacts, b: ProductFacts, attributes: Mapping[str, AttributeInfo],
    spans: Mapping[str, float],
) -> tuple[float, list[str]]:  # fmt: skip
    total, parts, shared = 0.0, [], 0
    for code in attributes:
        va, vb = a.attributes.get(code), b.attributes.get(code)
        if va is None or vb is None:
            continue
        na, nb = _numeric(va), _numeric(vb)
        if na is not None and nb is not None:
            span = spans.get(code) or max(abs(nb), 1.0)
            total += max(0.0, 1.0 - abs(na - nb) / span)
            shared += 1
            if len(parts) < 3:
                info = attributes.get(code)
                parts.append(
                    f"{_label(code, attributes)} {_with_unit(na, info)} vs {_with_unit(nb, info)}"
                )
        elif va == vb:
            total += 1.0
            shared += 1
    return (total / shared if shared else 0.0), parts


def rank(
    prefs: Preferences,
    candidates: Sequence[ProductFacts],
    attributes: Mapping[str, AttributeInfo],
    *,
    context: ProductFacts | None = None,
    limit: int = 10,
) -> list[Recommendation]:
    """Score sellable candidates against the preferences (and, with a context product, how
    close they are to it). Rejected models and the context product itself are left out;
    candidates not in stock are the caller's to drop beforehand."""
    # How far apart two values are, relative to the attribute's scale (1-10 for bass) or,
    # unbounded (weight), to the spread of the products at hand.
    spans: dict[str, float] = {}
    pool = [*candidates, *([context] if context is not None else [])]
    for code, info in attributes.items():
        if info.min_value is not None and info.max_value is not None:
            spans[code] = float(info.max_value - info.min_value) or 1.0
            continue
        values = [n for c in pool if (n := _numeric(c.attributes.get(code))) is not None]
        if len(values) > 1 and max(values) > min(values):
            spans[code] = max(values) - min(values)
    brands = {w.key: w for w in prefs.brands}
    favourites = set(prefs.favourites)
    out: list[Recommendation] = []
    for c in candidates:
        if c.id in prefs.rejected or (context is not None and c.id == context.id):
            continue
        score, reasons, misses = 0.0, [], []
        for pref in prefs.attributes:
            value = c.attributes.get(pref.attribute)
            if value is None:
                continue
            met = _meets(pref, value, attributes.get(pref.attribute))
            if met is None:
                continue
            sentence = explain(pref, value, attributes, met)
            if met:
                score += pref.weight
                reasons.append(sentence)
            else:
                score -= pref.weight
                misses.append(sentence)
        if c.price is not None and (prefs.price_min is not None or prefs.price_max is not None):
            low = prefs.price_min if prefs.price_min is not None else 0
            high = prefs.price_max
            if c.price >= low and (high is None or c.price <= high):
                score += 1.0
                reasons.append(
                    f"costs {fmt_money(c.price, c.currency)}, within your "
                    f"{_range_text(prefs.price_min, prefs.price_max)} range"
                )
            else:
                score -= 2.0
                misses.append(
                    f"costs {fmt_money(c.price, c.currency)}, outside your "
                    f"{_range_text(prefs.price_min, prefs.price_max)} range"
                )
        if c.id in favourites:
            score += 1.0
            reasons.append("in your favourites")
        if c.id in prefs.liked:
            score += 1.0
            reasons.append(f"you {prefs.liked[c.id].text}")
        if c.brand and c.brand in brands and brands[c.brand].evidence:
            score += 0.5
            reasons.append(f"{c.brand}: you {brands[c.brand].evidence[0].text}")
        if context is not None:
            similarity, parts = _similarity(c, context, attributes, spans)
            score += 2.0 * similarity
            if not context.in_stock and parts:
                reasons.append(
                    f"close to {context.title}, which is out of stock here: " + ", ".join(parts)
                )
        out.append(Recommendation(c, round(score, 3), tuple(reasons), tuple(misses)))
    out.sort(key=lambda r: (-r.score, r.product.price or 0, r.product.id))
    return out[:limit]


# ------------------------------------------------------------------ attribution


@dataclass(frozen=True)
class ConsultationFact:
    id: int
    customer_id: int
    location_id: int
    staff_user_id: int
    accepted_at: datetime


@dataclass(frozen=True)
class OrderFact:
    id: int
    customer_id: int
    channel: str
    placed_at: datetime
    currency: str
    total: int


@dataclass(frozen=True)
class Attribution:
    order: OrderFact
    consultation: ConsultationFact


def attribute_orders(
    consultations: Sequence[ConsultationFact], orders: Sequence[OrderFact], *, days: int
) -> list[Attribution]:
    """Each order goes to the latest consultation of the same customer that was accepted no
    more than ``days`` before it was placed (last touch); orders before any consultation, or
    after the window, are nobody's."""
    window = timedelta(days=days)
    by_customer: dict[int, list[ConsultationFact]] = {}
    for c in sorted(consultations, key=lambda c: (c.accepted_at, c.id)):
        by_customer.setdefault(c.customer_id, []).append(c)
    out = []
    for o in orders:
        best = None
        for c in by_customer.get(o.customer_id, []):
            if c.accepted_at <= o.placed_at <= c.accepted_at + window:
                best = c
        if best is not None:
            out.append(Attribution(o, best))
    return sorted(out, key=lambda a: (a.order.placed_at, a.order.id))
