"""What the interactions say about a customer, each conclusion with its evidence."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loyalty.clienteling.model.events import (
    COMPARATIVES,
    LESS_IS_BETTER,
    AttributeInfo,
    AttributeScore,
    Direction,
    Interaction,
    InteractionType,
    ProductFacts,
)


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
