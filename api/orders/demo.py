"""Demo orders (after catalog, prices, stock and customers): Анна Петрова's web order for
delivery, and a carry-out sale with cash at the Тверская till (S01) for Сергей Волков.
Re-runnable: the web order is placed once per customer, the till sale once per client sale id.
"""

from __future__ import annotations

from sqlalchemy import text

from api.runtime import Runtime
from domain.access.model import Channel, Principal, PrincipalKind, Role
from fulfillment.model import FulfillmentMethod, TenderKind
from fulfillment.services import carts, checkout, pos
from fulfillment.services.tenders import TenderRequest
from loyalty.services import lookup

ADDRESS = {
    "name": "Анна Петрова",
    "line1": "ул. Тверская, 12, кв. 40",
    "city": "Москва",
    "postcode": "125009",
    "country": "RU",
    "latitude": 55.7650,
    "longitude": 37.6050,
    "phone": "+79161234567",
}


async def _in_stock(runtime: Runtime, code: str, *, offset: int) -> int | None:
    """A priced variant with stock to spare at ``code`` (deterministic: by SKU)."""
    async with runtime.engine.connect() as conn:
        return await conn.scalar(
            text(
                "SELECT v.id FROM stock_levels s JOIN variants v ON v.id = s.variant_id "
                "JOIN locations l ON l.id = s.location_id "
                "WHERE l.code = :code "
                "AND s.on_hand - s.committed - s.reserved - s.safety_stock > 3 "
                "AND EXISTS (SELECT 1 FROM prices p WHERE p.variant_id = v.id) "
                "ORDER BY v.sku OFFSET :o LIMIT 1"
            ),
            {"code": code, "o": offset},
        )


async def _customer(runtime: Runtime, phone: str) -> int | None:
    async with runtime.session_factory() as session:
        return (await lookup(session, phone, secret=runtime.secret)).customer_id


async def load_demo_orders(runtime: Runtime) -> None:
    async with runtime.engine.connect() as conn:
        s01 = await conn.scalar(text("SELECT id FROM locations WHERE code = 'S01'"))
    anna = await _customer(runtime, "8 (916) 123-45-67")
    sergey = await _customer(runtime, "+7 903 555-12-34")
    if s01 is None or anna is None:
        return
    async with runtime.engine.connect() as conn:
        has_order = await conn.scalar(
            text("SELECT count(*) FROM orders WHERE customer_id = :c"), {"c": anna}
        )
    web_item = await _in_stock(runtime, "WH01", offset=3)
    if not has_order and web_item is not None:
        shopper = Principal(
            kind=PrincipalKind.CUSTOMER, role=Role.CUSTOMER, channel=Channel.WEB, customer_id=anna
        )
        _, token = await carts.create_cart(runtime.uow(), shopper)
        ref = carts.CartRef(token=token)
        await carts.add_lines(
            runtime.uow(), shopper, ref, [carts.NewLine(web_item, 1, FulfillmentMethod.SHIP)]
        )
        await carts.set_shipping(
            runtime.uow(), shopper, ref, address=dict(ADDRESS), method="COURIER"
        )
        await checkout.checkout_cart(
            runtime.uow(),
            shopper,
            ref,
            tenders=[TenderRequest(TenderKind.CARD, reference="DEMO-PSP-0001")],
            email="anna.petrova@demo.omni",
        )
    till_item = await _in_stock(runtime, "S01", offset=0)
    if till_item is not None:
        async with runtime.engine.connect() as conn:
            cashier = await conn.scalar(
                text("SELECT id FROM staff_users WHERE email = 'cashier.s01@demo.omni'")
            )
        # The S01 terminal with its cashier signed in: a till sells under a cashier of its store.
        till = Principal(
            kind=PrincipalKind.STAFF,
            role=Role.CASHIER,
            channel=Channel.POS,
            client_location_id=s01,
            api_key_id=0,
            staff_user_id=cashier,
            location_ids=frozenset({s01}),
        )
        await pos.complete_sale(
            runtime.uow(),
            till,
            pos.PosSale(
                client_sale_id="DEMO-S01-000001",
                lines=(pos.SaleLine(till_item, 1),),
                tenders=(TenderRequest(TenderKind.CASH),),
                customer_id=sergey,
            ),
        )
