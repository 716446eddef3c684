"""Ranking sellable candidates against the preferences, with a sentence per point."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from loyalty.clienteling.model.events import AttributeInfo, InteractionType, ProductFacts
from loyalty.clienteling.model.preferences import (
    AttributePreference,
    Preferences,
    _comparative,
    _label,
    _numeric,
    _range_text,
    _with_unit,
    fmt_money,
    fmt_number,
)


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
    spans: Mapping[str, float], *, words: bool = True,
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
            if words and len(parts) < 3:
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

    def assess(c: ProductFacts, words: bool) -> Recommendation:
        """The score; with ``words`` also the sentences (only the kept few need them)."""
        score, reasons, misses = 0.0, [], []
        for pref in prefs.attributes:
            value = c.attributes.get(pref.attribute)
            if value is None:
                continue
            met = _meets(pref, value, attributes.get(pref.attribute))
            if met is None:
                continue
            sentence = explain(pref, value, attributes, met) if words else ""
            if met:
                score += pref.weight
                reasons.append(sentence)
            else:
                score -= pref.weight
                misses.append(sentence)
        if c.price is not None and (prefs.price_min is not None or prefs.price_max is not None):
            low = prefs.price_min if prefs.price_min is not None else 0
            high = prefs.price_max
            span = _range_text(prefs.price_min, prefs.price_max) if words else ""
            price = fmt_money(c.price, c.currency) if words else ""
            if c.price >= low and (high is None or c.price <= high):
                score += 1.0
                reasons.append(f"costs {price}, within your {span} range")
            else:
                score -= 2.0
                misses.append(f"costs {price}, outside your {span} range")
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
            similarity, parts = _similarity(c, context, attributes, spans, words=words)
            score += 2.0 * similarity
            if not context.in_stock and parts:
                reasons.append(
                    f"close to {context.title}, which is out of stock here: " + ", ".join(parts)
                )
        return Recommendation(c, round(score, 3), tuple(reasons), tuple(misses))

    def order(r: Recommendation) -> tuple[float, int, int]:
        return (-r.score, r.product.price or 0, r.product.id)

    # Score everything, word only the kept few: the sentences are most of the cost.
    scored = [
        assess(c, False)
        for c in candidates
        if c.id not in prefs.rejected and (context is None or c.id != context.id)
    ]
    scored.sort(key=order)
    return [assess(r.product, True) for r in scored[:limit]]
