"""Clienteling: recommendations, the staff console and interaction batches over HTTP.

The dataset, all through the domain services: the demo catalog structure (attributes, product
types, categories), ``BENCH_CLIENTELING_PRODUCTS`` (default 200) headphones in one category
through the catalog importer with the attributes the recommendation rules read (form factor,
weight, bass_level, detail, impedance, wireless, noise_cancelling, battery hours), a shelf price
each, stock at a shipping warehouse (all) and at store S01 (three in four); a customer with a web
history (views, review reads, searches, a weight / noise-cancelling / price filter, a comparison,
favourites), three till sales, a check-in at S01 and a consultation with per-attribute ratings;
and 20 checked-in visitors at S01 in all (some waiting for a consultant).

- ``recommendations``: the customer on the web (web key + her token), context = a product page
  (cycled over 8 products), first 10, with reasons and misses.
- ``customer360``: the consultant of S01 (staff key + token) on the customer, the whole console
  document of docs/clienteling.md.
- ``storeVisitors``: the same consultant, S01's visitors and queue.
- ``interactions-record``: 16 clients, each a checked-in visitor (web key + own token) sending
  batches of 20 events (views, review reads, searches, filters, comparisons) with unique
  clientEventIds; afterwards the rows stored must equal the events acknowledged
  (``stored diff`` 0, no duplicates).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
from sqlalchemy.engine import make_url

from bench import (
    CaseContext,
    CaseResult,
    CustomCase,
    Data,
    HttpCase,
    Request,
    Scenario,
    graphql,
    graphql_ok,
    measure,
    runtime,
)
from bench.model import Check

PRODUCTS = int(os.environ.get("BENCH_CLIENTELING_PRODUCTS", "200"))
VISITORS = 20
CLIENTS = 16
BATCH = 20
BRANDS = ["Sony", "Sennheiser", "Bose", "JBL", "Marshall", "Apple", "Beats", "Audio-Technica"]
SERIES = ["Pro", "Max", "Lite", "Air", "Plus", "Ultra", "Neo", "Studio", "Go", "Prime"]

RECOMMEND = """query($ctx: RecommendationContextInput) {
  recommendations(context: $ctx, first: 10) {
    personalised contextInStock
    items { product { id titleEn } variant { sku } price reasons misses } } }"""
C360 = """query($c: ID!, $loc: ID!) { customer360(customerId: $c, locationId: $loc) {
  personalised
  customer { displayName loyalty { pointsBalance tier { code } } }
  recentViews { type occurredAt channel product { titleEn } }
  searches { query } filters { priceMin priceMax filters { attribute min max equals } }
  favourites { titleEn } comparisons { products { titleEn } }
  ratings { product { titleEn } ratings { attribute score comment } recordedBy }
  preferences {
    priceRange { min max evidence { text } }
    attributes { description evidence { text occurredAt } }
    brands { brand weight } notes { attribute score comment } }
  openCarts { channel lines { quantity variant { sku } } }
  orders { number channel status total placedAt }
  returns { orderNumber status refundTotal }
  consultations { status requestedAt consultant { name } } } }"""
VISITORS_Q = """query($loc: ID!) { storeVisitors(locationId: $loc) {
  since
  visitors { checkedInAt customer { id displayName } consultation { id status } }
  queue { id status requestedAt customer { displayName } } } }"""
RECORD = """mutation($input: InteractionsRecordInput!) { interactionsRecord(input: $input) {
  userErrors { code field message } recorded duplicates skipped } }"""


def _attributes(rng: random.Random) -> dict[str, Any]:
    ff = rng.choice(["over-ear", "over-ear", "on-ear", "in-ear"])
    wireless = rng.random() < 0.8
    attrs: dict[str, Any] = {
        "form_factor": ff,
        "weight": rng.randint(4, 9) if ff == "in-ear" else rng.randint(140, 390),
        "bass_level": rng.randint(3, 10),
        "detail": rng.randint(3, 10),
        "impedance": rng.choice([16, 32, 38, 48, 80, 250]),
        "wireless": wireless,
        "noise_cancelling": wireless and rng.random() < 0.6,
    }
    if wireless:
        attrs["battery_hours"] = rng.choice([8, 20, 30, 40, 50, 60])
    return attrs


def _rows() -> list[dict[str, Any]]:
    rng = random.Random(200)
    out = []
    for i in range(1, PRODUCTS + 1):
        brand = BRANDS[i % len(BRANDS)]
        name = f"{rng.choice(SERIES)} {i}"
        out.append(
            {
                "sku": f"BH-{i:04d}",
                "product": f"bench-hp-{i:04d}",
                "title": f"Наушники {brand} {name}",
                "title_en": f"{brand} {name} headphones",
                "brand": brand,
                "category": "headphones",
                "product_type": "headphones",
                "attributes": _attributes(rng),
                "description": f"{brand} {name}: наушники.",
                "description_en": f"{brand} {name}: headphones.",
                "status": "ACTIVE",
                "price": rng.randrange(300_000, 4_500_000, 10_000),
            }
        )
    return out


async def setup(database_url: str) -> Data:
    from api.relay import encode_id
    from domain.access import services as access
    from domain.access.model import Channel, Principal, PrincipalKind, Role
    from domain.access.tokens import issue_token
    from domain.catalog import demo_data, importer
    from domain.catalog.queries import products_by_slugs, variants_by_skus
    from domain.pricing.services.prices import PriceInput, set_prices
    from fulfillment.model import TenderKind
    from fulfillment.services import pos
    from fulfillment.services.tenders import TenderRequest
    from inventory import services as inventory
    from inventory.model import LocationKind
    from loyalty import services as loyalty
    from loyalty.clienteling import model, services
    from loyalty.clienteling.model import AttributeFilter, AttributeScore, InteractionType

    started = time.perf_counter()
    rows = _rows()
    async with runtime(database_url) as rt:
        await demo_data.ensure_structure(rt.uow, actor="bench")
        report = await importer.import_rows(
            rt.uow,
            [
                importer.Row(n, {k: v for k, v in r.items() if k != "price"})
                for n, r in enumerate(rows, start=1)
            ],
            actor="bench",
        )
        if report.rejected:
            raise RuntimeError(f"catalog import rejected rows: {report.rejected[:3]}")
        async with rt.session_factory() as session:
            products = {
                slug: row.id
                for slug, row in (
                    await products_by_slugs(session, [r["product"] for r in rows])
                ).items()
            }
            variants = {
                sku: row.id
                for sku, row in (await variants_by_skus(session, [r["sku"] for r in rows])).items()
            }
        await set_prices(
            rt.uow(),
            actor="bench",
            prices=[
                PriceInput(
                    amount=r["price"], sku=r["sku"], starts_at=datetime.now(UTC) - timedelta(days=1)
                )
                for r in rows
            ],
        )
        warehouse = await inventory.create_location(
            rt.uow(),
            code="WH",
            name="Central warehouse",
            kind=LocationKind.WAREHOUSE,
            latitude=55.60,
            longitude=37.60,
            ships=True,
        )
        store = await inventory.create_location(
            rt.uow(),
            code="S01",
            name="Omni Тверская",
            kind=LocationKind.STORE,
            latitude=55.765,
            longitude=37.605,
            offers_pickup=True,
            sells_in_store=True,
        )
        for n, r in enumerate(rows):
            vid = variants[r["sku"]]
            await inventory.receive_stock(
                rt.uow(),
                variant_id=vid,
                location_id=warehouse,
                quantity=50,
                actor="bench",
                document_ref="PO-BENCH",
            )
            if n % 4:
                await inventory.receive_stock(
                    rt.uow(),
                    variant_id=vid,
                    location_id=store,
                    quantity=5,
                    actor="bench",
                    document_ref="PO-BENCH",
                )
        web = await access.create_api_key(
            rt.uow(), actor="bench", name="web", channel=Channel.WEB, location_id=None
        )
        tablet = await access.create_api_key(
            rt.uow(),
            actor="bench",
            name="staff tablet S01",
            channel=Channel.STAFF,
            location_id=store,
        )
        till = await access.create_api_key(
            rt.uow(), actor="bench", name="POS S01", channel=Channel.POS, location_id=store
        )
        consultant = await access.create_staff_user(
            rt.uow(),
            actor=None,
            email="consultant@bench.omni",
            name="Елена Смирнова",
            password="bench-password",
            role=Role.CASHIER,
            location_ids=[store],
        )
        staff_token, _ = issue_token(
            secret=rt.secret,
            kind=PrincipalKind.STAFF,
            subject_id=consultant,
            role=Role.CASHIER,
            ttl_seconds=24 * 3600,
        )
        customers = [
            await loyalty.enrol(
                rt.uow(),
                phone=f"+7916555{n:04d}",
                actor="bench",
                channel="POS",
                location_id=store,
                first_name=f"Гость {n}",
                last_name="Бенч",
            )
            for n in range(VISITORS)
        ]
        tokens = [
            issue_token(
                secret=rt.secret,
                kind=PrincipalKind.CUSTOMER,
                subject_id=c,
                role=Role.CUSTOMER,
                ttl_seconds=24 * 3600,
            )[0]
            for c in customers
        ]
        anna = customers[0]
        pid = [products[r["product"]] for r in rows]
        over_ear = [
            products[r["product"]] for r in rows if r["attributes"]["form_factor"] == "over-ear"
        ]
        now = datetime.now(UTC)
        start = now - timedelta(days=3)

        def event(n: int, kind: InteractionType, minutes: int, **kw: Any) -> services.EventIn:
            return services.EventIn(
                model.Interaction(
                    id=0, type=kind, occurred_at=start + timedelta(minutes=minutes), **kw
                ),
                client_event_id=f"history-{n}",
            )

        # Her web history: 40 views and review reads over the over-ear models, searches, the
        # filter, a comparison, favourites.
        history = [
            event(1, InteractionType.SEARCHED, 0, query="наушники с шумоподавлением"),
            event(2, InteractionType.SEARCHED, 1, query="накладные наушники с басом"),
            event(
                3,
                InteractionType.FILTER_APPLIED,
                2,
                filters=(
                    AttributeFilter("weight", max=250),
                    AttributeFilter("noise_cancelling", equals=True),
                ),
                price_min=1_500_000,
                price_max=3_500_000,
            ),
            event(4, InteractionType.COMPARED, 3, product_ids=(over_ear[0], over_ear[1])),
            event(5, InteractionType.FAVORITED, 4, product_id=over_ear[0]),
            event(6, InteractionType.FAVORITED, 5, product_id=over_ear[2]),
        ]
        for n in range(40):
            kind = InteractionType.REVIEW_READ if n % 4 == 3 else InteractionType.PRODUCT_VIEWED
            history.append(
                event(10 + n, kind, 10 + n, product_id=over_ear[n % min(20, len(over_ear))])
            )
        await services.record_interactions(
            rt.uow(),
            events=history,
            customer_id=anna,
            session_id=None,
            origin=f"customer:{anna}",
            channel="WEB",
            actor="bench",
        )
        # Three till sales of hers, so the console has orders to show.
        # The S01 terminal with its cashier signed in (a till sells only under one).
        seller = Principal(
            kind=PrincipalKind.STAFF,
            role=Role.CASHIER,
            channel=Channel.POS,
            client_location_id=store,
            api_key_id=till.id,
            staff_user_id=consultant,
            location_ids=frozenset({store}),
        )
        for n in range(3):
            await pos.complete_sale(
                rt.uow(),
                seller,
                pos.PosSale(
                    client_sale_id=f"CL-{n}",
                    lines=(pos.SaleLine(variants[rows[1 + n * 4]["sku"]], 1),),
                    tenders=(TenderRequest(TenderKind.CARD, reference=f"TERM-{n}"),),
                    customer_id=anna,
                ),
            )
        # All 20 check in at S01; every third calls a consultant.
        for n, c in enumerate(customers):
            visit = [
                services.EventIn(
                    model.Interaction(
                        id=0,
                        type=InteractionType.STORE_CHECK_IN,
                        occurred_at=now,
                        location_id=store,
                    ),
                    client_event_id="visit-1",
                )
            ]
            if n % 3 == 1:
                visit.append(
                    services.EventIn(
                        model.Interaction(
                            id=0,
                            type=InteractionType.CONSULTANT_REQUESTED,
                            occurred_at=now,
                            location_id=store,
                        ),
                        client_event_id="visit-2",
                    )
                )
            await services.record_interactions(
                rt.uow(),
                events=visit,
                customer_id=c,
                session_id=None,
                origin=f"customer:{c}",
                channel="APP",
                actor="bench",
            )
        # The consultant serves her and records what she said about the models she tried.
        clerk = Principal(
            kind=PrincipalKind.STAFF,
            role=Role.CASHIER,
            channel=Channel.STAFF,
            client_location_id=store,
            staff_user_id=consultant,
            location_ids=frozenset({store}),
            api_key_id=tablet.id,
        )
        change = await services.start_consultation(
            rt.uow(), customer_id=anna, location_id=store, principal=clerk
        )
        a, b = over_ear[0], over_ear[3]
        await services.record_ratings(
            rt.uow(),
            consultation_id=change.consultation_id,
            principal=clerk,
            channel="STAFF",
            ratings=[
                services.RatingIn(
                    a,
                    (
                        AttributeScore("bass_level", 2, comment="слабый бас"),
                        AttributeScore("comfort", 5),
                    ),
                    client_event_id="r1",
                ),
                services.RatingIn(
                    b,
                    (
                        AttributeScore("bass_level", 5),
                        AttributeScore("weight", 2, comment="тяжёлые"),
                    ),
                    client_event_id="r2",
                ),
            ],
        )
    print(
        f"clienteling: dataset ({PRODUCTS} headphones, {VISITORS} visitors) in "
        f"{time.perf_counter() - started:.1f} s"
    )
    contexts = [a, b, *pid[5:11]]
    return {
        "web_key": web.key,
        "staff_key": tablet.key,
        "staff_token": staff_token,
        "store": str(encode_id("Location", store)),
        "anna": str(encode_id("Customer", anna)),
        "tokens": tokens,
        "customers": customers,
        "contexts": [str(encode_id("Product", p)) for p in contexts],
        "products": [str(encode_id("Product", p)) for p in pid],
    }


def _answered(field: str) -> Check:
    """The probe: no errors, and the answer has what the case is about."""

    def check(status: int, body: bytes) -> str | None:
        problem = graphql_ok(status, body)
        if problem:
            return problem
        data = orjson.loads(body)["data"][field]
        if field == "recommendations" and not (data["items"] and data["personalised"]):
            return f"no personal recommendations: {body[:300]!r}"
        if field == "storeVisitors" and len(data["visitors"]) != VISITORS:
            return f"expected {VISITORS} visitors: {body[:300]!r}"
        if field == "customer360" and not (data["ratings"] and data["preferences"]):
            return f"no ratings or preferences: {body[:300]!r}"
        return None

    return check


def recommendations(data: Data) -> list[Request]:
    return [
        graphql(
            RECOMMEND,
            {"ctx": {"productId": p}},
            api_key=data["web_key"],
            token=data["tokens"][0],
        )
        for p in data["contexts"]
    ]


def customer360(data: Data) -> Request:
    return graphql(
        C360,
        {"c": data["anna"], "loc": data["store"]},
        api_key=data["staff_key"],
        token=data["staff_token"],
    )


def store_visitors(data: Data) -> Request:
    return graphql(
        VISITORS_Q, {"loc": data["store"]}, api_key=data["staff_key"], token=data["staff_token"]
    )


_batches = itertools.count(1)


def _batch(products: list[str], n: int) -> list[dict[str, Any]]:
    rng = random.Random(n)
    events: list[dict[str, Any]] = []
    for i in range(BATCH):
        eid = f"bench-{n}-{i}"
        roll = i % 10
        if roll == 7:
            events.append({"type": "SEARCHED", "query": "наушники с басом", "clientEventId": eid})
        elif roll == 8:
            events.append(
                {
                    "type": "FILTER_APPLIED",
                    "clientEventId": eid,
                    "priceMax": 3_000_000,
                    "filters": [{"attribute": "weight", "max": rng.choice([200, 250, 300])}],
                }
            )
        elif roll == 9:
            events.append(
                {
                    "type": "COMPARED",
                    "clientEventId": eid,
                    "productIds": rng.sample(products, 2),
                }
            )
        else:
            kind = "REVIEW_READ" if roll == 3 else "PRODUCT_VIEWED"
            events.append({"type": kind, "productId": rng.choice(products), "clientEventId": eid})
    return events


async def _stored(database_url: str, customers: list[int]) -> int:
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM interactions WHERE client_event_id LIKE 'bench-%' "
                "AND customer_id = ANY($1::bigint[])",
                customers,
            )
        )
    finally:
        await conn.close()


async def interactions_record(ctx: CaseContext) -> CaseResult:
    data = ctx.data
    recorded = duplicates = 0
    clients = [
        httpx.AsyncClient(
            base_url=ctx.api_url,
            timeout=60,
            headers={"x-api-key": data["web_key"], "authorization": f"Bearer {token}"},
        )
        for token in data["tokens"][1 : CLIENTS + 1]
    ]

    def operation(client: httpx.AsyncClient) -> Any:
        async def one() -> None:
            nonlocal recorded, duplicates
            events = _batch(data["products"], next(_batches))
            response = await client.post(
                "/graphql", json={"query": RECORD, "variables": {"input": {"events": events}}}
            )
            body = response.json()
            if response.status_code != 200 or "errors" in body:
                raise RuntimeError(str(body)[:300])
            payload = body["data"]["interactionsRecord"]
            if payload["userErrors"]:
                raise RuntimeError(str(payload["userErrors"])[:300])
            recorded += payload["recorded"]
            duplicates += payload["duplicates"]

        return one

    try:
        result = await measure("interactions-record", [operation(c) for c in clients], ctx)
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    stored = await _stored(ctx.database_url, data["customers"])
    result.extra["events/s"] = round(result.rps * BATCH, 1)
    result.extra["events recorded"] = recorded
    result.extra["duplicates"] = duplicates
    result.extra["stored diff"] = stored - recorded
    if duplicates or stored != recorded:
        result.errors += 1
        result.first_error = result.first_error or "stored events differ from those acknowledged"
    return result


SCENARIO = Scenario(
    name="clienteling",
    description=f"clienteling on {PRODUCTS} headphones: web recommendations for a customer "
    "with history and in-store ratings, customer360 and storeVisitors (20 visitors) on the "
    "consultant's tablet, interactionsRecord batches of 20 events from 16 clients",
    setup=setup,
    cases=[
        HttpCase("recommendations", recommendations, check=_answered("recommendations")),
        HttpCase("customer360", customer360, check=_answered("customer360")),
        HttpCase("storeVisitors", store_visitors, check=_answered("storeVisitors")),
        CustomCase("interactions-record", interactions_record),
    ],
)
