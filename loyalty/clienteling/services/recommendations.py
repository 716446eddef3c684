"""Recommendations for web, app, e-mail and the store: candidates the channel (or store) can
sell now, ranked against what the customer said and did, each with concrete reasons."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.access.model import STORE_CHANNELS, Channel, Principal
from domain.catalog import browse
from domain.catalog import queries as catalog
from domain.pricing.services.quotes import shelf_prices
from domain.shared.clock import utcnow
from domain.shared.errors import NotFound, ValidationFailed
from loyalty.clienteling import model, queries
from loyalty.services import active_customer_id

MAX_CANDIDATES = 200
MAX_RESULTS = 50


@dataclass(frozen=True)
class RecommendationResult:
    customer_id: int | None
    channel: Channel
    location_id: int | None
    category_id: int | None
    personalised: bool
    context: model.ProductFacts | None
    preferences: model.Preferences
    items: list[model.Recommendation]


async def _sellable(
    session: AsyncSession,
    product_ids: list[int],
    *,
    channel: Channel,
    location_id: int | None,
) -> dict[int, tuple[int, int, str] | None]:
    """Per product: (variant id, shelf price, currency) of its cheapest variant in stock for
    the channel or store, None when no variant is."""
    variants = await catalog.live_variants_by_product_ids(session, product_ids)
    ids = queries.variant_ids_of(variants)
    stocked = await queries.in_stock_variants(session, ids, location_id=location_id)
    prices = await shelf_prices(session, sorted(stocked), channel=channel, location_id=location_id)
    out: dict[int, tuple[int, int, str] | None] = {}
    for pid in product_ids:
        offers = [
            (prices[v.id].amount, v.id, prices[v.id].currency)
            for v in variants.get(pid, [])
            if v.id in prices
        ]
        best = min(offers, default=None)
        out[pid] = (best[1], best[0], best[2]) if best else None
    return out


async def recommend(
    session: AsyncSession,
    *,
    principal: Principal,
    customer_id: int | None,
    session_id: str | None,
    channel: Channel,
    location_id: int | None,
    context_product_id: int | None = None,
    context_category_id: int | None = None,
    limit: int = 10,
    now: datetime | None = None,
) -> RecommendationResult:
    """Rank what the channel can sell now (online: available at a shipping location; a store:
    available on its shelves) in the context's category, or the customer's favourite category.
    A customer who opted out of personalisation (or an unknown visitor) gets the context's
    closest alternatives only."""
    now = now or utcnow()
    if channel in STORE_CHANNELS and location_id is None:
        raise ValidationFailed(
            "Store channels need the store: give locationId.", field="locationId"
        )
    if channel not in STORE_CHANNELS:
        location_id = None
    limit = max(1, min(limit, MAX_RESULTS))
    personalised = True
    if customer_id is not None:
        active = await active_customer_id(session, customer_id)
        if active is None:
            raise NotFound(f"Customer {customer_id} does not exist.", field="customerId")
        customer_id = active
        personalised = (await queries.personalisation(session, [active]))[active]
    rows = (
        await queries.timeline(
            session,
            customer_id=customer_id,
            session_id=session_id if customer_id is None else None,
            since=now - model.PREFERENCE_HORIZON,
            limit=model.PREFERENCE_EVENTS,
        )
        if personalised
        else []
    )
    events = [queries.to_model(r) for r in rows]
    referenced = {pid for e in events for pid in (e.product_id, *e.product_ids) if pid}
    if context_product_id is not None:
        referenced.add(context_product_id)
    products = await queries.product_facts(session, list(referenced))
    attributes = await queries.attribute_infos(session)
    prefs = model.derive_preferences(events, products, attributes)
    context = products.get(context_product_id) if context_product_id is not None else None
    if context_product_id is not None and context is None:
        raise NotFound(f"Product {context_product_id} does not exist.", field="context.productId")
    category_id = context_category_id
    if category_id is None and context is not None:
        category_id = context.category_id
    if category_id is None and prefs.categories:
        category_id = int(prefs.categories[0].key)
    empty = RecommendationResult(
        customer_id, channel, location_id, category_id, personalised and bool(events),
        context, prefs, [],
    )  # fmt: skip
    if category_id is None:
        return empty
    spec = await browse.prepare(
        session,
        principal,
        channel=channel,
        category_id=category_id,
        in_stock_online=location_id is None,
        in_stock_at_location_id=location_id,
    )
    page = await browse.page(session, spec, limit=MAX_CANDIDATES, after=None)
    candidate_ids = [r.product.id for r in page]
    facts = await queries.product_facts(session, candidate_ids)
    wanted = candidate_ids + ([context.id] if context is not None else [])
    sellable = await _sellable(session, wanted, channel=channel, location_id=location_id)
    candidates = []
    for pid in candidate_ids:
        offer = sellable.get(pid)
        if offer is None or pid not in facts:
            continue  # no variant in stock with a price in force
        variant_id, price, currency = offer
        candidates.append(
            _priced(facts[pid], variant_id=variant_id, price=price, currency=currency)
        )
    if context is not None:
        offer = sellable.get(context.id)
        context = _priced(
            context,
            variant_id=offer[0] if offer else None,
            price=offer[1] if offer else None,
            currency=offer[2] if offer else "RUB",
            in_stock=offer is not None,
        )
    items = model.rank(prefs, candidates, attributes, context=context, limit=limit)
    return RecommendationResult(
        customer_id, channel, location_id, category_id, personalised and bool(events),
        context, prefs, items,
    )  # fmt: skip


def _priced(
    facts: model.ProductFacts,
    *,
    variant_id: int | None,
    price: int | None,
    currency: str,
    in_stock: bool = True,
) -> model.ProductFacts:
    return replace(facts, variant_id=variant_id, price=price, currency=currency, in_stock=in_stock)
