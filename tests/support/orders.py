"""Placing orders in tests (shared by the order, fulfillment, returns and clienteling tests).

    world = await make_world(runtime, stock={("HP-100", "WH"): 10, ("HP-100", "S01"): 3})
    placed = await place_order(runtime, world, lines=[("HP-100", 2, "SHIP")], customer_id=cid)
    sale = await pos_sale(runtime, world, "S01", lines=[("HP-100", 1)], client_sale_id="T1-0001")

A world is a small electronics catalog (prices in force for 60 days back, VAT 20% included),
a warehouse WH (ships), stores S01 and S02 (pickup, sell in store, S01 also ships), stock as
asked, and a POS API key per store. ``place_order`` goes through the real services
(cart -> holds -> checkout) and pays by card for the exact total unless tenders are given.
Over GraphQL: ``gql_checkout`` builds the same order through the API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from sqlalchemy import text

from api.runtime import Runtime
from domain.access import services as access
from domain.access.model import Channel, Principal, PrincipalKind, Role
from domain.pricing.services.prices import PriceInput, set_prices
from fulfillment.model import FulfillmentMethod, TenderKind
from fulfillment.services import carts, checkout, pos
from fulfillment.services.checkout import Placed
from fulfillment.services.tenders import TenderRequest
from inventory import services as inventory
from inventory.model import LocationKind

_seq = count(1)

#: sku -> (title, category slug, price in kopecks)
CATALOG: dict[str, tuple[str, str, int]] = {
    "HP-100": ("Sony WH-1000XM5", "headphones", 2_999_000),
    "HP-200": ("JBL Tune 510BT", "headphones", 349_000),
    "PH-300": ("Apple iPhone 15 128 GB", "phones", 8_999_000),
    "CB-400": ("USB-C cable 1 m", "accessories", 99_000),
}

LOCATIONS: dict[str, dict[str, Any]] = {
    "WH": dict(
        name="Central warehouse",
        kind=LocationKind.WAREHOUSE,
        latitude=55.60,
        longitude=37.60,
        ships=True,
        priority=10,
    ),
    "S01": dict(
        name="Store Tverskaya",
        kind=LocationKind.STORE,
        latitude=55.765,
        longitude=37.605,
        ships=True,
        offers_pickup=True,
        sells_in_store=True,
        priority=50,
    ),
    "S02": dict(
        name="Store Arbat",
        kind=LocationKind.STORE,
        latitude=55.750,
        longitude=37.590,
        offers_pickup=True,
        sells_in_store=True,
        priority=60,
    ),
}

ADDRESS = {
    "name": "Ivan Petrov",
    "line1": "ul. Tverskaya 1, kv. 5",
    "city": "Moscow",
    "postcode": "125009",
    "country": "RU",
    "latitude": 55.757,
    "longitude": 37.615,
    "phone": "+79161234567",
}


@dataclass
class World:
    variants: dict[str, int]  # sku -> variant id
    prices: dict[str, int]  # sku -> price (kopecks)
    locations: dict[str, int]  # code -> location id
    pos_keys: dict[str, str] = field(default_factory=dict)  # store code -> POS API key
    web_key: str = ""
    app_key: str = ""

    def principal(
        self, channel: str = "WEB", *, customer_id: int | None = None, store: str | None = None
    ) -> Principal:
        """A service-level caller: a shopper (WEB/APP), or a POS / staff device at ``store``."""
        return Principal(
            kind=PrincipalKind.CUSTOMER if customer_id else PrincipalKind.ANONYMOUS,
            role=Role.CUSTOMER if customer_id else Role.ANONYMOUS,
            channel=Channel(channel),
            customer_id=customer_id,
            client_location_id=self.locations[store] if store else None,
            api_key_id=1,
        )

    def till(self, store: str, *, staff_user_id: int = 9001) -> Principal:
        """The store's POS terminal with a cashier of that store signed in."""
        location = self.locations[store]
        return Principal(
            kind=PrincipalKind.STAFF,
            role=Role.CASHIER,
            channel=Channel.POS,
            client_location_id=location,
            staff_user_id=staff_user_id,
            location_ids=frozenset({location}),
            api_key_id=1,
        )


async def make_world(
    runtime: Runtime,
    *,
    stock: Mapping[tuple[str, str], int] = (),  # type: ignore[assignment]
    skus: Sequence[str] = tuple(CATALOG),
    keys: bool = True,
) -> World:
    n = next(_seq)
    variants: dict[str, int] = {}
    async with runtime.engine.begin() as conn:

        async def one(sql: str, **params: Any) -> int:
            return int((await conn.execute(text(sql + " RETURNING id"), params)).scalar_one())

        brand = await one("INSERT INTO brands (name, slug) VALUES (:n, :n)", n=f"brand-{n}")
        ptype = await one(
            "INSERT INTO product_types (code, name) VALUES (:c, 'Generic')", c=f"generic-{n}"
        )
        cats: dict[str, int] = {}
        for sku in skus:
            _, cat, _ = CATALOG[sku]
            if cat not in cats:
                cats[cat] = await one(
                    "INSERT INTO categories (name, slug, position) VALUES (:n, :s, 0)",
                    n=cat.title(),
                    s=cat,
                )
            title = CATALOG[sku][0]
            product = await one(
                "INSERT INTO products (slug, title, description, brand_id, category_id, "
                "product_type_id, attributes, media, status, published_online, published_in_store, "
                "keywords) VALUES (:slug, :title, '', :b, :c, :t, '{}', '[]', 'ACTIVE', true, "
                "true, '')",
                slug=f"{sku.lower()}-{n}",
                title=title,
                b=brand,
                c=cats[cat],
                t=ptype,
            )
            variants[sku] = await one(
                "INSERT INTO variants (product_id, sku, title, options, attributes, "
                "effective_attributes, position) VALUES (:p, :sku, :sku, '{}', '{}', '{}', 0)",
                p=product,
                sku=sku,
            )
    prices = {sku: CATALOG[sku][2] for sku in skus}
    await set_prices(
        runtime.uow(),
        actor="test",
        prices=[
            PriceInput(amount=prices[s], sku=s, starts_at=datetime.now(UTC) - timedelta(days=60))
            for s in skus
        ],
    )
    locations: dict[str, int] = {}
    for code, spec in LOCATIONS.items():
        locations[code] = await inventory.create_location(runtime.uow(), code=code, **spec)
    for (sku, code), qty in dict(stock).items():
        if qty > 0:
            await inventory.receive_stock(
                runtime.uow(),
                variant_id=variants[sku],
                location_id=locations[code],
                quantity=qty,
                actor="test",
                document_ref="PO-1",
            )
    world = World(variants, prices, locations)
    if keys:
        for code in ("S01", "S02"):
            issued = await access.create_api_key(
                runtime.uow(),
                actor="test",
                name=f"POS {code}",
                channel=Channel.POS,
                location_id=locations[code],
            )
            world.pos_keys[code] = issued.key
        world.web_key = (
            await access.create_api_key(
                runtime.uow(), actor="test", name="web", channel=Channel.WEB, location_id=None
            )
        ).key
        world.app_key = (
            await access.create_api_key(
                runtime.uow(), actor="test", name="app", channel=Channel.APP, location_id=None
            )
        ).key
    return world


async def enrol_customer(runtime: Runtime, phone: str = "+79161234567") -> int:
    from loyalty.services import enrol

    return await enrol(
        runtime.uow(), phone=phone, actor="test", channel="POS", location_id=None, first_name="Anna"
    )


Line = tuple  # (sku, quantity, method="SHIP", pickup store code=None)


async def build_cart(
    runtime: Runtime,
    world: World,
    *,
    lines: Sequence[Line],
    channel: str = "WEB",
    customer_id: int | None = None,
    store: str | None = None,
    shipping_method: str = "COURIER",
    vouchers: Sequence[str] = (),
) -> tuple[Principal, carts.CartRef]:
    principal = world.principal(channel, customer_id=customer_id, store=store)
    _, token = await carts.create_cart(runtime.uow(), principal)
    ref = carts.CartRef(token=token)
    new = []
    for line in lines:
        sku, qty, *rest = line
        method = FulfillmentMethod(rest[0] if rest else "SHIP")
        pickup = world.locations[rest[1]] if len(rest) > 1 and rest[1] else None
        new.append(carts.NewLine(world.variants[sku], qty, method, pickup))
    await carts.add_lines(runtime.uow(), principal, ref, new)
    if any(n.method is FulfillmentMethod.SHIP for n in new):
        await carts.set_shipping(
            runtime.uow(), principal, ref, address=dict(ADDRESS), method=shipping_method
        )
    for code in vouchers:
        await carts.apply_voucher(runtime.uow(), principal, ref, code=code)
    return principal, ref


async def cart_total(runtime: Runtime, principal: Principal, ref: carts.CartRef) -> int:
    async with runtime.session_factory() as session:
        cart = await carts.load_cart(session, principal, ref)
        lines = await carts.cart_lines(session, cart.id)
        return (await carts.quote_cart(session, cart, lines)).total


async def place_order(
    runtime: Runtime,
    world: World,
    *,
    lines: Sequence[Line],
    channel: str = "WEB",
    customer_id: int | None = None,
    store: str | None = None,
    tenders: Sequence[TenderRequest] | None = None,
    vouchers: Sequence[str] = (),
) -> Placed:
    """Cart -> holds -> checkout through the services; card for the total by default."""
    principal, ref = await build_cart(
        runtime,
        world,
        lines=lines,
        channel=channel,
        customer_id=customer_id,
        store=store,
        vouchers=vouchers,
    )
    if tenders is None:
        tenders = [TenderRequest(TenderKind.CARD, reference=f"PSP-{next(_seq)}")]
    return await checkout.checkout_cart(runtime.uow(), principal, ref, tenders=tenders)


async def pos_sale(
    runtime: Runtime,
    world: World,
    store: str,
    *,
    lines: Sequence[tuple[str, int]],
    client_sale_id: str,
    occurred_at: datetime | None = None,
    customer_id: int | None = None,
    tenders: Sequence[TenderRequest] | None = None,
) -> Placed:
    """A till sale (carry-out) at ``store`` by a cashier of that store; cash for the total by
    default. With ``occurred_at`` more than a few minutes back it is an offline replay that
    declares itself (the till went offline a minute before the sale)."""
    offline = (
        pos.OfflineDeclaration(since=occurred_at - timedelta(minutes=1), reason="test")
        if occurred_at is not None and occurred_at < datetime.now(UTC) - timedelta(minutes=5)
        else None
    )
    return await pos.complete_sale(
        runtime.uow(),
        world.till(store),
        pos.PosSale(
            client_sale_id=client_sale_id,
            lines=tuple(pos.SaleLine(world.variants[s], q) for s, q in lines),
            tenders=tuple(tenders or [TenderRequest(TenderKind.CASH)]),
            occurred_at=occurred_at,
            customer_id=customer_id,
            offline=offline,
        ),
    )


async def level(runtime: Runtime, world: World, sku: str, code: str) -> dict[str, int]:
    async with runtime.engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT on_hand, committed, reserved FROM stock_levels "
                    "WHERE variant_id = :v AND location_id = :l"
                ),
                {"v": world.variants[sku], "l": world.locations[code]},
            )
        ).one_or_none()
    return dict(row._mapping) if row is not None else {"on_hand": 0, "committed": 0, "reserved": 0}


async def scalar(runtime: Runtime, sql: str, **params: Any) -> Any:
    async with runtime.engine.connect() as conn:
        return await conn.scalar(text(sql), params)


async def make_voucher(
    runtime: Runtime,
    code: str = "SAVE500",
    *,
    amount: int = 50_000,
    threshold: int = 100_000,
    limit: int | None = 10,
) -> str:
    """A voucher-only "spend threshold, get amount off" promotion and its code."""
    from domain.pricing import model as pricing
    from domain.pricing.services import promotions

    pid = await promotions.create_promotion(
        runtime.uow(),
        actor="test",
        promotion=pricing.Promotion(
            id=0,
            name=f"Code -{amount // 100}",
            kind=pricing.PromotionKind.SPEND_GET_OFF,
            amount=amount,
            threshold=threshold,
            voucher_only=True,
        ),
    )
    await promotions.create_voucher(
        runtime.uow(),
        actor="test",
        voucher=pricing.Voucher(code=code, promotion_id=pid, usage_limit=limit),
    )
    return code.upper()


async def give_points(runtime: Runtime, customer_id: int, points: int) -> None:
    from loyalty.services import adjust_points

    await adjust_points(runtime.uow(), customer_id, points=points, reason="test", actor="test")


async def give_store_credit(runtime: Runtime, customer_id: int, amount: int) -> None:
    from fulfillment.services import store_credit

    await store_credit.issue(
        runtime.uow(),
        customer_id=customer_id,
        amount=amount,
        reference=f"test-{next(_seq)}",
        actor="test",
    )


async def counters(
    runtime: Runtime, world: World, customer_id: int | None, code: str | None
) -> dict[str, Any]:
    """Everything an order moves: stock levels, voucher uses, points and store credit."""
    async with runtime.engine.connect() as conn:
        levels = (
            await conn.execute(
                text(
                    "SELECT variant_id, location_id, on_hand, committed, reserved "
                    "FROM stock_levels ORDER BY 1, 2"
                )
            )
        ).all()
        used = (
            await conn.scalar(text("SELECT used FROM vouchers WHERE code = :c"), {"c": code})
            if code
            else None
        )
        points = (
            await conn.scalar(
                text("SELECT balance FROM loyalty_accounts WHERE customer_id = :c"),
                {"c": customer_id},
            )
            if customer_id
            else None
        )
        credit = (
            await conn.scalar(
                text("SELECT balance FROM store_credit_accounts WHERE customer_id = :c"),
                {"c": customer_id},
            )
            if customer_id
            else None
        )
    return {
        "levels": [tuple(r) for r in levels],
        "voucher_used": used,
        "points": points,
        "store_credit": credit,
    }
