"""Orders: web checkouts end to end over HTTP against the API under uvicorn.

One checkout = three GraphQL requests, as a storefront sends them: ``cartCreate``;
``cartLinesAdd`` (stock held where sourcing chooses) + ``cartSetShipping`` in one document;
``checkoutComplete`` (price quote, holds committed, card tender, fulfillment orders, outbox event,
idempotency key), each its own transaction.

- ``checkout-3-lines``: 16 clients, 3-line carts over three SKUs with deep stock.
- ``checkout-hot-sku``: 64 clients all buying one SKU with ``BENCH_ORDERS_HOT_STOCK`` units
  (default 150): the stock runs out during the run, so the case measures the race and the
  refusals after it. Afterwards: units committed == units on orders, never more than on hand
  (``oversold`` must be 0); ``placed`` and ``refused`` (INSUFFICIENT_STOCK userErrors).
"""

from __future__ import annotations

import itertools
import os
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench import CaseContext, CaseResult, CustomCase, Data, Scenario, measure, runtime
from domain.access import services as access
from domain.access.model import Channel

HOT_STOCK = int(os.environ.get("BENCH_ORDERS_HOT_STOCK", "150"))
DEEP_STOCK = 1_000_000
SKUS = {"BENCH-HP": 2_999_000, "BENCH-CB": 99_000, "BENCH-PH": 8_999_000, "BENCH-HOT": 349_000}
ADDRESS = {
    "name": "Bench",
    "line1": "ul. Tverskaya 1",
    "city": "Moscow",
    "postcode": "125009",
    "country": "RU",
    "latitude": 55.757,
    "longitude": 37.615,
}

CREATE = "mutation { cartCreate(input: {}) { userErrors { code } cart { token } } }"
FILL = """mutation($t: String!, $lines: [CartLineInput!]!, $a: AddressInput!, $k: String!) {
  cartLinesAdd(input: {token: $t, lines: $lines, idempotencyKey: $k}) {
    userErrors { code message } cart { lines { heldQuantity } } }
  cartSetShipping(input: {token: $t, address: $a, shippingMethod: "COURIER"}) {
    userErrors { code message } } }"""
CHECKOUT = """mutation($t: String!, $k: String!, $ref: String!) {
  checkoutComplete(input: {token: $t, idempotencyKey: $k,
                           tenders: [{kind: CARD, reference: $ref}]}) {
    userErrors { code message } order { number total { amount } } } }"""


async def setup(database_url: str) -> Data:
    from domain.catalog.model import ProductStatus
    from domain.catalog.tables import ProductRow, ProductTypeRow, VariantRow
    from domain.pricing.services.prices import PriceInput, set_prices
    from inventory import services as inventory
    from inventory.model import LocationKind

    async with runtime(database_url) as rt:
        async with rt.session_factory() as session:
            ptype = ProductTypeRow(code="bench-orders", name="Bench")
            session.add(ptype)
            await session.flush()
            product = ProductRow(
                slug="bench-orders",
                title="Bench product",
                product_type_id=ptype.id,
                status=ProductStatus.ACTIVE,
            )
            session.add(product)
            await session.flush()
            rows = [VariantRow(product_id=product.id, sku=s, title=s) for s in SKUS]
            session.add_all(rows)
            await session.commit()
            variants = {r.sku: r.id for r in rows}
        await set_prices(
            rt.uow(),
            actor="bench",
            prices=[PriceInput(amount=a, sku=s) for s, a in SKUS.items()],
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
        for sku, vid in variants.items():
            await inventory.receive_stock(
                rt.uow(),
                variant_id=vid,
                location_id=warehouse,
                quantity=HOT_STOCK if sku == "BENCH-HOT" else DEEP_STOCK,
                actor="bench",
                document_ref="PO-BENCH",
            )
        key = await access.create_api_key(
            rt.uow(), actor="bench", name="web", channel=Channel.WEB, location_id=None
        )
    return {"api_key": key.key, "variants": variants, "warehouse": warehouse}


_seq = itertools.count(1)


async def _checkout(client: httpx.AsyncClient, skus: list[str]) -> str:
    """One storefront checkout; returns the order number or the userError code."""

    async def post(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables or {}}
        )
        body = response.json()
        if response.status_code != 200 or "errors" in body:
            raise RuntimeError(str(body)[:300])
        return dict(body["data"])

    n = next(_seq)
    token = (await post(CREATE))["cartCreate"]["cart"]["token"]
    filled = await post(
        FILL,
        {
            "t": token,
            "k": f"fill-{n}",
            "a": ADDRESS,
            "lines": [{"sku": s, "quantity": 1} for s in skus],
        },
    )
    errors = filled["cartLinesAdd"]["userErrors"] + filled["cartSetShipping"]["userErrors"]
    if errors:
        raise RuntimeError(str(errors))
    done = (await post(CHECKOUT, {"t": token, "k": f"co-{n}", "ref": f"PSP-{n}"}))[
        "checkoutComplete"
    ]
    if done["order"] is not None:
        return str(done["order"]["number"])
    code = str(done["userErrors"][0]["code"])
    if code != "INSUFFICIENT_STOCK":
        raise RuntimeError(str(done["userErrors"]))
    return code


async def _run(
    ctx: CaseContext, name: str, skus: list[str], clients: int
) -> tuple[CaseResult, int, int]:
    placed = refused = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=ctx.api_url,
        headers={"x-api-key": ctx.data["api_key"]},
        limits=limits,
        timeout=60,
    ) as client:

        async def one() -> None:
            nonlocal placed, refused
            if await _checkout(client, skus) == "INSUFFICIENT_STOCK":
                refused += 1
            else:
                placed += 1

        result = await measure(name, one, ctx, concurrency=clients)
    result.extra["checkouts/s"] = round(result.rps, 1)
    result.extra["http requests/s"] = round(result.rps * 3, 1)
    return result, placed, refused


async def _figures(database_url: str, variant_id: int, location_id: int) -> dict[str, int]:
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        level = await conn.fetchrow(
            "SELECT on_hand, committed, reserved FROM stock_levels "
            "WHERE variant_id = $1 AND location_id = $2",
            variant_id,
            location_id,
        )
        ordered = await conn.fetchval(
            "SELECT coalesce(sum(quantity - cancelled_quantity), 0) FROM order_lines "
            "WHERE variant_id = $1",
            variant_id,
        )
    finally:
        await conn.close()
    return {**dict(level), "ordered": int(ordered)}


async def checkout_3_lines(ctx: CaseContext) -> CaseResult:
    result, placed, refused = await _run(
        ctx, "checkout-3-lines", ["BENCH-HP", "BENCH-CB", "BENCH-PH"], 16
    )
    result.extra["placed"] = placed
    result.extra["refused"] = refused
    return result


async def checkout_hot_sku(ctx: CaseContext) -> CaseResult:
    result, placed, refused = await _run(ctx, "checkout-hot-sku", ["BENCH-HOT"], 64)
    f = await _figures(ctx.database_url, ctx.data["variants"]["BENCH-HOT"], ctx.data["warehouse"])
    result.extra["placed"] = placed
    result.extra["refused"] = refused
    result.extra["stock"] = HOT_STOCK
    # Promised beyond the shelf, or commitments that do not match the orders' units.
    result.extra["oversold"] = max(0, f["committed"] + f["reserved"] - f["on_hand"]) + abs(
        f["committed"] - f["ordered"]
    )
    return result


SCENARIO = Scenario(
    name="orders",
    description="web checkouts over HTTP (cart, holds, checkout): 3-line carts with 16 clients; "
    "one hot SKU with 64 clients until it sells out (oversold must be 0)",
    setup=setup,
    cases=[
        CustomCase("checkout-3-lines", checkout_3_lines),
        CustomCase("checkout-hot-sku", checkout_hot_sku),
    ],
)
