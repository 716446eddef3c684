"""The raw baselines of the storefront scenario: a hand-written Starlette + asyncpg endpoint
that answers the storefront page and the product page with the JSON the API answers (the
harness checks it equal before measuring), and the same documents from memory.

- ``POST /sql/page``, ``POST /sql/detail`` (body: the GraphQL request; only the variables are
  read): one pool checkout, four or five statements, orjson.
- ``POST /sql/lookup``: ``customerLookup`` by phone, one statement.
- ``POST /mem/<name>``: the document the last ``/sql`` call of that name answered, serialized
  per request (what any JSON endpoint does at the least).

Nothing here is the app's code: it is what the issue's author measured the API against.
"""

from __future__ import annotations

import base64
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import orjson
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

MAX_STORES = 20

PAGE_SQL = """
SELECT p.id, p.slug, p.title, b.name AS brand
FROM products p LEFT JOIN brands b ON b.id = p.brand_id
WHERE p.status = 'ACTIVE' AND p.published_online
ORDER BY p.created_at DESC, p.id DESC LIMIT 20"""
DETAIL_SQL = """
SELECT p.id, p.slug, p.title, p.description, b.name AS brand, c.name AS category
FROM products p LEFT JOIN brands b ON b.id = p.brand_id
  LEFT JOIN categories c ON c.id = p.category_id
WHERE p.slug = $1 AND p.status = 'ACTIVE' AND p.published_online"""
VARIANTS_SQL = """
SELECT v.id, v.product_id, v.sku, v.barcode, v.options FROM variants v
WHERE v.product_id = ANY($1::bigint[]) AND v.archived_at IS NULL
ORDER BY v.product_id, v.position, v.id"""
PRICES_SQL = """
SELECT DISTINCT ON (variant_id) variant_id, amount, compare_at, currency FROM prices
WHERE variant_id = ANY($1::bigint[]) AND currency = 'RUB'
  AND (starts_at IS NULL OR starts_at <= now()) AND (ends_at IS NULL OR ends_at > now())
  AND (cardinality(channels) = 0 OR 'WEB' = ANY(channels))
ORDER BY variant_id, id DESC"""
SHIP_SQL = """
SELECT s.variant_id FROM stock_levels s JOIN locations l ON l.id = s.location_id
WHERE s.variant_id = ANY($1::bigint[]) AND l.active AND l.ships
GROUP BY s.variant_id
HAVING sum(greatest(s.on_hand - s.committed - s.reserved - s.safety_stock, 0)) > 0"""
STORES_SQL = f"""
SELECT w.v AS variant_id, x.code, x.available > 0 AS in_stock
FROM unnest($1::bigint[]) AS w(v) CROSS JOIN LATERAL (
  SELECT l.code, coalesce(s.on_hand - s.committed - s.reserved - s.safety_stock, 0) AS available
  FROM locations l LEFT JOIN stock_levels s ON s.location_id = l.id AND s.variant_id = w.v
  WHERE l.active AND l.offers_pickup
  ORDER BY 2 DESC, l.id LIMIT {MAX_STORES}) x"""


LOOKUP_SQL = """
SELECT c.id, c.first_name, c.last_name, a.balance,
  (SELECT card.value FROM customer_identifiers card
   WHERE card.customer_id = c.id AND card.kind = 'CARD' ORDER BY card.id LIMIT 1) AS card,
  (SELECT coalesce(sum(e.amount_minor), 0) FROM spend_entries e WHERE e.customer_id = c.id
   AND e.occurred_at > now() - interval '365 days' AND e.occurred_at <= now()) AS spend
FROM customer_identifiers i JOIN customers c ON c.id = i.customer_id
LEFT JOIN loyalty_accounts a ON a.customer_id = c.id
WHERE i.kind = 'PHONE' AND i.value = $1 AND c.status = 'ACTIVE'"""
TIERS = [("GOLD", 10_000_000), ("SILVER", 3_000_000), ("BASIC", 0)]  # the default rules'


def _phone(typed: str) -> str:
    """+7XXXXXXXXXX from the ways a Russian cashier types a mobile number."""
    digits = "".join(ch for ch in typed if ch.isdigit())
    if len(digits) == 11 and digits[0] in "78":
        digits = digits[1:]
    return "+7" + digits


def _gid(kind: str, db_id: int) -> str:
    return base64.b64encode(f"{kind}:{db_id}".encode()).decode()


async def _variants(conn: asyncpg.Connection, product_ids: list[int]) -> dict[int, list[Any]]:
    rows = await conn.fetch(VARIANTS_SQL, product_ids)
    ids = [r["id"] for r in rows]
    prices = {r["variant_id"]: r for r in await conn.fetch(PRICES_SQL, ids)}
    ships = {r["variant_id"] for r in await conn.fetch(SHIP_SQL, ids)}
    stores: dict[int, list[Any]] = {i: [] for i in ids}
    for r in await conn.fetch(STORES_SQL, ids):
        stores[r["variant_id"]].append({"location": {"code": r["code"]}, "inStock": r["in_stock"]})
    out: dict[int, list[Any]] = {p: [] for p in product_ids}
    for r in rows:
        price = prices.get(r["id"])
        out[r["product_id"]].append(
            {
                "sku": r["sku"],
                "barcode": r["barcode"],
                "options": [
                    {"name": k, "value": v} for k, v in orjson.loads(r["options"] or "{}").items()
                ],
                "price": None
                if price is None
                else {
                    "price": {"amount": price["amount"], "currency": price["currency"]},
                    "compareAt": None
                    if price["compare_at"] is None
                    else {"amount": price["compare_at"]},
                },
                "availability": {"canShip": r["id"] in ships, "stores": stores[r["id"]]},
            }
        )
    return out


def _card(variant: dict[str, Any]) -> dict[str, Any]:
    """A variant as the listing page asks for it (stores without their location)."""
    availability = variant["availability"]
    return {
        "sku": variant["sku"],
        "price": variant["price"],
        "availability": {
            "canShip": availability["canShip"],
            "stores": [{"inStock": s["inStock"]} for s in availability["stores"]],
        },
    }


async def page(conn: asyncpg.Connection, _variables: dict[str, Any]) -> Any:
    products = await conn.fetch(PAGE_SQL)
    variants = await _variants(conn, [p["id"] for p in products])
    edges = [
        {
            "node": {
                "id": _gid("Product", p["id"]),
                "slug": p["slug"],
                "title": p["title"],
                "brand": None if p["brand"] is None else {"name": p["brand"]},
                "variants": [_card(v) for v in variants[p["id"]]],
            }
        }
        for p in products
    ]
    return {"data": {"products": {"edges": edges}}}


async def detail(conn: asyncpg.Connection, variables: dict[str, Any]) -> Any:
    p = await conn.fetchrow(DETAIL_SQL, variables["slug"])
    if p is None:
        return {"data": {"product": None}}
    variants = await _variants(conn, [p["id"]])
    return {
        "data": {
            "product": {
                "id": _gid("Product", p["id"]),
                "slug": p["slug"],
                "title": p["title"],
                "description": p["description"],
                "brand": None if p["brand"] is None else {"name": p["brand"]},
                "category": None if p["category"] is None else {"name": p["category"]},
                "variants": variants[p["id"]],
            }
        }
    }


async def lookup(conn: asyncpg.Connection, variables: dict[str, Any]) -> Any:
    """``customerLookup`` by a typed phone number (the only kind the bench sends)."""
    c = await conn.fetchrow(LOOKUP_SQL, _phone(variables["q"]))
    if c is None:
        return {"data": {"customerLookup": {"userErrors": [], "matchedBy": None, "customer": None}}}
    tier = next(code for code, least in TIERS if c["spend"] >= least)
    customer = {
        "id": _gid("Customer", c["id"]),
        "displayName": f"{c['first_name']} {c['last_name']}".strip(),
        "cardNumber": c["card"],
        "loyalty": {"pointsBalance": c["balance"] or 0, "tier": {"code": tier}},
    }
    return {
        "data": {"customerLookup": {"userErrors": [], "matchedBy": "PHONE", "customer": customer}}
    }


HANDLERS = {"page": page, "detail": detail, "lookup": lookup}


def create_app() -> Starlette:
    dsn = make_url(os.environ["DATABASE_URL"]).set(drivername="postgresql")
    pool: dict[str, asyncpg.Pool] = {}
    last: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        pool["db"] = await asyncpg.create_pool(
            dsn.render_as_string(hide_password=False), min_size=2, max_size=10
        )
        try:
            yield
        finally:
            await pool["db"].close()

    async def answer(name: str, body: bytes) -> Any:
        variables = orjson.loads(body).get("variables") or {}
        async with pool["db"].acquire() as conn:
            document = await HANDLERS[name](conn, variables)
        last[name] = document
        return document

    async def sql(request: Request) -> Response:
        document = await answer(request.path_params["name"], await request.body())
        return Response(orjson.dumps(document), media_type="application/json")

    async def mem(request: Request) -> Response:
        body = await request.body()
        name = request.path_params["name"]
        document = last[name] if name in last else await answer(name, body)
        return Response(orjson.dumps(document), media_type="application/json")

    async def readyz(request: Request) -> Response:
        return Response(b'{"status":"ready"}', media_type="application/json")

    return Starlette(
        routes=[
            Route("/sql/{name}", sql, methods=["POST"]),
            Route("/mem/{name}", mem, methods=["POST"]),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )
