"""Returns: return anywhere, over HTTP against the API under uvicorn.

The dataset: till sales at store S01 (``pos.complete_sale``, carry-out, so every unit is handed
over at once and returnable): headphones x1 + cable x2 per order, cash. A cashier of store S02
(POS key of S02 + staff bearer token) takes the goods back there.

- ``return-create-receive``: 16 clients, each on an order of its own (taken from the pool, never
  shared): ``returnCreate`` (the headphones and one cable, reason DOES_NOT_FIT) then
  ``returnReceive`` at S02 with RESTOCK, each its own transaction with its own idempotency key.
  One operation = one return = two HTTP requests. Afterwards, exactness: the refunds written
  (``order_refunds``) sum to the ``refundTotal`` the API reported, and S02's ``on_hand`` rose by
  exactly the units received (``refund diff`` and ``on_hand diff`` must be 0).
- ``returns-list``: ``returns(locationId: S02, first: 20)`` with lines, order, customer and
  location, as the store's returns screen asks for it (``BENCH_RETURNS_SEEDED`` returns, default
  40, are received in the setup so the page is full from the first request).

``BENCH_RETURNS_ORDERS`` (default 1500) orders are placed in the setup; the pool must outlast
warm-up + measured window (the case fails with "order pool exhausted" otherwise).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from typing import Any

import asyncpg
import httpx
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
    measure,
    runtime,
)

ORDERS = int(os.environ.get("BENCH_RETURNS_ORDERS", "1500"))
SEEDED = int(os.environ.get("BENCH_RETURNS_SEEDED", "40"))
CLIENTS = 16
PLACERS = 8  # concurrent till sales while the dataset is written
SKUS = {"BENCH-HP": 2_999_000, "BENCH-CB": 99_000}
LINES = (("BENCH-HP", 1), ("BENCH-CB", 2))

CREATE = """mutation($input: ReturnCreateInput!) { returnCreate(input: $input) {
  userErrors { code field message } return { id status lines { id quantity } } } }"""
RECEIVE = """mutation($input: ReturnReceiveInput!) { returnReceive(input: $input) {
  userErrors { code field message }
  return { id status refundTotal { amount } lines { receivedQuantity refund { amount } } } } }"""
LIST = """query($loc: ID!) { returns(locationId: $loc, first: 20) {
  edges { cursor node { id status createdAt receivedAt refundTotal { amount } pointsReversed
    order { number } customer { id } location { code }
    lines { quantity receivedQuantity reason disposition refund { amount } } } }
  pageInfo { hasNextPage endCursor } } }"""


def _dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


async def setup(database_url: str) -> Data:
    from api.relay import encode_id
    from domain.access import services as access
    from domain.access.model import Channel, Principal, PrincipalKind, Role
    from domain.access.tokens import issue_token
    from domain.catalog.model import ProductStatus
    from domain.catalog.tables import ProductRow, ProductTypeRow, VariantRow
    from domain.pricing.services.prices import PriceInput, set_prices
    from fulfillment.model import TenderKind
    from fulfillment.returns import services as returns
    from fulfillment.returns.model import Disposition, ReturnReason
    from fulfillment.services import pos
    from fulfillment.services.tenders import TenderRequest
    from inventory import services as inventory
    from inventory.model import LocationKind

    async with runtime(database_url) as rt:
        async with rt.session_factory() as session:
            ptype = ProductTypeRow(code="bench-returns", name="Bench")
            session.add(ptype)
            await session.flush()
            product = ProductRow(
                slug="bench-returns",
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
            rt.uow(), actor="bench", prices=[PriceInput(amount=a, sku=s) for s, a in SKUS.items()]
        )
        stores = {}
        for code, name in (("S01", "Store Tverskaya"), ("S02", "Store Arbat")):
            stores[code] = await inventory.create_location(
                rt.uow(),
                code=code,
                name=name,
                kind=LocationKind.STORE,
                offers_pickup=True,
                sells_in_store=True,
            )
        for vid in variants.values():
            await inventory.receive_stock(
                rt.uow(),
                variant_id=vid,
                location_id=stores["S01"],
                quantity=(ORDERS + SEEDED) * 2,
                actor="bench",
                document_ref="PO-BENCH",
            )
        till = await access.create_api_key(
            rt.uow(), actor="bench", name="POS S01", channel=Channel.POS, location_id=stores["S01"]
        )
        desk = await access.create_api_key(
            rt.uow(), actor="bench", name="POS S02", channel=Channel.POS, location_id=stores["S02"]
        )
        cashier = await access.create_staff_user(
            rt.uow(),
            actor=None,
            email="returns@bench.omni",
            name="Кассир возвратов",
            password="bench-password",
            role=Role.CASHIER,
            location_ids=[stores["S01"], stores["S02"]],  # sells at S01, takes returns at S02
        )
        token, _ = issue_token(
            secret=rt.secret,
            kind=PrincipalKind.STAFF,
            subject_id=cashier,
            role=Role.CASHIER,
            ttl_seconds=24 * 3600,
        )
        # Till sales at S01, a few at a time, as the tills of a busy day would send them.
        started = time.perf_counter()
        # The S01 terminal with a cashier of S01 signed in (a till sells only under one).
        seller = Principal(
            kind=PrincipalKind.STAFF,
            role=Role.CASHIER,
            channel=Channel.POS,
            client_location_id=stores["S01"],
            api_key_id=till.id,
            staff_user_id=cashier,
            location_ids=frozenset({stores["S01"], stores["S02"]}),
        )
        numbers = iter(range(1, ORDERS + SEEDED + 1))

        async def placer() -> None:
            for n in numbers:
                await pos.complete_sale(
                    rt.uow(),
                    seller,
                    pos.PosSale(
                        client_sale_id=f"T1-{n:06d}",
                        lines=tuple(pos.SaleLine(variants[s], q) for s, q in LINES),
                        tenders=(TenderRequest(TenderKind.CASH),),
                    ),
                )

        await asyncio.gather(*(placer() for _ in range(PLACERS)))
        async with rt.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            found = await raw.driver_connection.fetch(
                "SELECT order_id, array_agg(id ORDER BY line_no) AS lines FROM order_lines "
                "GROUP BY order_id ORDER BY order_id"
            )
        orders = [(int(r["order_id"]), [int(x) for x in r["lines"]]) for r in found]
        print(
            f"returns: {len(orders):,} till sales placed in {time.perf_counter() - started:.1f} s"
        )
        # Some returns received at S02 already, so the store's list has a full page.
        clerk = Principal(
            kind=PrincipalKind.STAFF,
            role=Role.CASHIER,
            channel=Channel.POS,
            client_location_id=stores["S02"],
            staff_user_id=cashier,
            location_ids=frozenset({stores["S02"]}),
            api_key_id=desk.id,
        )
        for order_id, (hp, cable) in orders[:SEEDED]:
            rid = await returns.create_return(
                rt.uow(),
                clerk,
                order_id=order_id,
                lines=[
                    returns.ReturnLineRequest(hp, 1, ReturnReason.DOES_NOT_FIT),
                    returns.ReturnLineRequest(cable, 1, ReturnReason.CHANGED_MIND),
                ],
                location_id=stores["S02"],
            )
            async with rt.engine.connect() as conn:
                raw = await conn.get_raw_connection()
                line_ids = [
                    int(x)
                    for x in await raw.driver_connection.fetchval(
                        "SELECT array_agg(id ORDER BY id) FROM return_lines WHERE return_id = $1",
                        rid,
                    )
                ]
            await returns.receive_return(
                rt.uow(),
                clerk,
                return_id=rid,
                location_id=stores["S02"],
                lines=[returns.ReceiveLine(i, Disposition.RESTOCK) for i in line_ids],
            )
    return {
        "api_key": desk.key,
        "token": token,
        "store": stores["S02"],
        "store_gid": str(encode_id("Location", stores["S02"])),
        "variants": list(variants.values()),
        "orders": [
            [str(encode_id("Order", o)), [str(encode_id("OrderLine", i)) for i in lines]]
            for o, lines in orders[SEEDED:]
        ],
    }


async def _store_figures(database_url: str, data: Data) -> dict[str, int]:
    conn = await asyncpg.connect(_dsn(database_url))
    try:
        on_hand = await conn.fetchval(
            "SELECT coalesce(sum(on_hand), 0) FROM stock_levels "
            "WHERE location_id = $1 AND variant_id = ANY($2::bigint[])",
            data["store"],
            data["variants"],
        )
        refunded = await conn.fetchval("SELECT coalesce(sum(amount), 0) FROM order_refunds")
        returns = await conn.fetchval("SELECT count(*) FROM returns WHERE status = 'RECEIVED'")
    finally:
        await conn.close()
    return {"on_hand": int(on_hand), "refunded": int(refunded), "returns": int(returns)}


_keys = itertools.count(1)


async def return_create_receive(ctx: CaseContext) -> CaseResult:
    data = ctx.data
    pool = iter(data["orders"])
    before = await _store_figures(ctx.database_url, data)
    reported = units = done = 0
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    headers = {"x-api-key": data["api_key"], "authorization": f"Bearer {data['token']}"}
    async with httpx.AsyncClient(
        base_url=ctx.api_url, headers=headers, limits=limits, timeout=60
    ) as client:

        async def post(query: str, variables: dict[str, Any], name: str) -> dict[str, Any]:
            response = await client.post("/graphql", json={"query": query, "variables": variables})
            body = response.json()
            if response.status_code != 200 or "errors" in body:
                raise RuntimeError(str(body)[:300])
            payload = body["data"][name]
            if payload["userErrors"]:
                raise RuntimeError(f"{name}: {payload['userErrors']}")
            return dict(payload["return"])

        async def one() -> None:
            nonlocal reported, units, done
            try:
                order_gid, (hp, cable) = next(pool)
            except StopIteration:
                raise RuntimeError("order pool exhausted: raise BENCH_RETURNS_ORDERS") from None
            n = next(_keys)
            created = await post(
                CREATE,
                {
                    "input": {
                        "orderId": order_gid,
                        "idempotencyKey": f"ret-{n}",
                        "lines": [
                            {"orderLineId": hp, "quantity": 1, "reason": "DOES_NOT_FIT"},
                            {"orderLineId": cable, "quantity": 1, "reason": "CHANGED_MIND"},
                        ],
                    }
                },
                "returnCreate",
            )
            received = await post(
                RECEIVE,
                {
                    "input": {
                        "returnId": created["id"],
                        "locationId": data["store_gid"],
                        "idempotencyKey": f"rcpt-{n}",
                        "lines": [
                            {"returnLineId": ln["id"], "disposition": "RESTOCK"}
                            for ln in created["lines"]
                        ],
                    }
                },
                "returnReceive",
            )
            if received["status"] != "RECEIVED":
                raise RuntimeError(f"returnReceive left it {received['status']}")
            reported += int(received["refundTotal"]["amount"])
            units += sum(int(ln["receivedQuantity"]) for ln in received["lines"])
            done += 1

        result = await measure("return-create-receive", one, ctx, concurrency=CLIENTS)
    after = await _store_figures(ctx.database_url, data)
    result.extra["returns/s"] = round(result.rps, 1)
    result.extra["http requests/s"] = round(result.rps * 2, 1)
    result.extra["returns (warm-up included)"] = done
    result.extra["orders left"] = sum(1 for _ in pool)
    result.extra["refunded RUB"] = f"{(after['refunded'] - before['refunded']) / 100:.2f}"
    result.extra["refund diff"] = (after["refunded"] - before["refunded"]) - reported
    result.extra["units received"] = units
    result.extra["on_hand diff"] = (after["on_hand"] - before["on_hand"]) - units
    result.extra["received diff"] = (after["returns"] - before["returns"]) - done
    if result.extra["refund diff"] or result.extra["on_hand diff"] or result.extra["received diff"]:
        result.errors += 1
        result.first_error = result.first_error or (
            "not exact: refunds, stock or returns differ from what the API reported"
        )
    return result


def returns_list(data: Data) -> Request:
    return graphql(LIST, {"loc": data["store_gid"]}, api_key=data["api_key"], token=data["token"])


SCENARIO = Scenario(
    name="returns",
    description="return anywhere over HTTP: returnCreate + returnReceive (RESTOCK at another "
    "store) with 16 clients on orders of their own, refunds and stock checked exact; the "
    "store's returns list",
    setup=setup,
    cases=[
        CustomCase("return-create-receive", return_create_receive),
        HttpCase("returns-list", returns_list),
    ],
)
