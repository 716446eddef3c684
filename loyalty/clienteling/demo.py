"""Demo clienteling data: what Анна Петрова (anna.petrova@demo.omni) did on the web before
she walks into Omni Тверская (S01): headphone views, a weight / noise-cancelling / price filter,
a favourite, a comparison. Re-runnable (client event ids). The store part of the story (check-in,
consultation, ratings) is played through the API: docs/clienteling.md."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from domain.catalog.model import slugify
from domain.catalog.queries import products_by_slugs
from loyalty import services as loyalty
from loyalty.clienteling import model
from loyalty.clienteling.model import AttributeFilter, InteractionType
from loyalty.clienteling.services import EventIn, record_interactions

DEMO_CUSTOMER_EMAIL = "anna.petrova@demo.omni"
#: The models of the story, by their English titles in the demo catalog.
MODELS = {
    "xm5": "Sony WH-1000XM5 headphones",
    "qc_ultra": "Bose QuietComfort Ultra Headphones headphones",
    "live660": "JBL Live 660NC headphones",
    "momentum4": "Sennheiser Momentum 4 Wireless headphones",
}


async def demo_products(runtime: Any) -> dict[str, int]:
    async with runtime.session_factory() as session:
        found = await products_by_slugs(session, [slugify(t) for t in MODELS.values()])
    return {key: found[slugify(t)].id for key, t in MODELS.items() if slugify(t) in found}


async def load_clienteling(runtime: Any) -> None:
    async with runtime.session_factory() as session:
        hit = await loyalty.lookup(session, DEMO_CUSTOMER_EMAIL, secret=runtime.secret)
    products = await demo_products(runtime)
    if hit.customer_id is None or len(products) < len(MODELS):
        return
    start = datetime.now(UTC) - timedelta(days=2)

    def at(minutes: int) -> datetime:
        return start + timedelta(minutes=minutes)

    def event(n: int, kind: InteractionType, minutes: int, **kw: Any) -> EventIn:
        return EventIn(
            model.Interaction(id=0, type=kind, occurred_at=at(minutes), **kw),
            client_event_id=f"demo-anna-{n}",
        )

    p = products
    events = [
        event(1, InteractionType.SEARCHED, 0, query="наушники с шумоподавлением"),
        event(2, InteractionType.PRODUCT_VIEWED, 1, product_id=p["xm5"]),
        event(3, InteractionType.REVIEW_READ, 3, product_id=p["xm5"]),
        event(4, InteractionType.PRODUCT_VIEWED, 6, product_id=p["qc_ultra"]),
        event(5, InteractionType.PRODUCT_VIEWED, 8, product_id=p["live660"]),
        event(6, InteractionType.PRODUCT_VIEWED, 9, product_id=p["momentum4"]),
        event(
            7,
            InteractionType.FILTER_APPLIED,
            10,
            filters=(
                AttributeFilter("weight", max=250),
                AttributeFilter("noise_cancelling", equals=True),
            ),
            price_min=1_500_000,
            price_max=3_500_000,
        ),
        event(8, InteractionType.COMPARED, 12, product_ids=(p["xm5"], p["qc_ultra"])),
        event(9, InteractionType.FAVORITED, 13, product_id=p["xm5"]),
    ]
    await record_interactions(
        runtime.uow(),
        events=events,
        customer_id=hit.customer_id,
        session_id=None,
        origin=f"customer:{hit.customer_id}",
        channel="WEB",
        actor="demo",
    )
