"""The demo store for clienteling API tests: demo loaded, callers signed in through the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count
from typing import Any

from strawberry import relay

from api.demo import DEMO_PASSWORD, load_demo
from api.loyalty.demo import DEMO_CUSTOMER_PASSWORD
from api.relay import encode_id
from api.runtime import Runtime
from domain.access.services import KEY_PREFIX
from domain.catalog.model import slugify
from domain.catalog.queries import products_by_slugs
from fulfillment.model import OrderStatus
from fulfillment.tables import OrderRow
from inventory.queries import locations_by_codes
from tests.conftest import GQL

WEB_KEY = f"{KEY_PREFIX}demoweb.storefront-demo-key"
APP_KEY = f"{KEY_PREFIX}demoapp.mobile-app-demo-key"
STAFF_S01_KEY = f"{KEY_PREFIX}demostaff01.staff-s01-demo-key"
ANNA = "anna.petrova@demo.omni"
MARIA = "maria.sokolova@demo.omni"
_numbers = count(1)

STAFF_SIGN_IN = """mutation($i: StaffSignInInput!) { staffSignIn(input: $i) {
  userErrors { message } token staffUser { id } } }"""
CUSTOMER_SIGN_IN = """mutation($i: CustomerSignInInput!) { customerSignIn(input: $i) {
  userErrors { message } token customer { id } } }"""


def gid(type_name: str, db_id: int) -> str:
    return str(encode_id(type_name, db_id))


def db_id(global_id: str) -> int:
    return int(relay.GlobalID.from_id(global_id).node_id)


@dataclass
class Demo:
    gql: GQL
    products: dict[str, str]  # English title (brand + model) -> Product global id
    locations: dict[str, str]  # code -> Location global id

    async def staff(self, email: str, key: str = STAFF_S01_KEY) -> tuple[GQL, str]:
        data = await self.gql.as_(x_api_key=key)(
            STAFF_SIGN_IN, {"i": {"email": email, "password": DEMO_PASSWORD}}
        )
        signed = data["staffSignIn"]
        assert signed["userErrors"] == []
        bearer = f"Bearer {signed['token']}"
        return self.gql.as_(x_api_key=key, authorization=bearer), signed["staffUser"]["id"]

    async def customer(self, email: str, key: str = WEB_KEY, **headers: str) -> tuple[GQL, str]:
        data = await self.gql.as_(x_api_key=key, **headers)(
            CUSTOMER_SIGN_IN, {"i": {"identifier": email, "password": DEMO_CUSTOMER_PASSWORD}}
        )
        signed = data["customerSignIn"]
        assert signed["userErrors"] == []
        bearer = f"Bearer {signed['token']}"
        return (
            self.gql.as_(x_api_key=key, authorization=bearer, **headers),
            signed["customer"]["id"],
        )


async def demo_store(runtime: Runtime, gql: GQL) -> Demo:
    await load_demo(runtime)
    async with runtime.session_factory() as session:
        titles = [
            "Sony WH-1000XM5", "Sony ULT Wear", "JBL Tune 770NC", "Bose QuietComfort 45",
            "Sony WH-CH720N", "Sennheiser HD 600",
        ]  # fmt: skip
        found = await products_by_slugs(session, [slugify(f"{t} headphones") for t in titles])
        locations = await locations_by_codes(session, ["S01", "S02", "WH01"])
    return Demo(
        gql=gql,
        products={t: gid("Product", found[slugify(f"{t} headphones")].id) for t in titles},
        locations={code: gid("Location", row.id) for code, row in locations.items()},
    )


async def insert_order(
    runtime: Runtime, *, customer_id: int, total: int, channel: str = "WEB",
    placed_at: datetime | None = None, status: OrderStatus = OrderStatus.PLACED,
) -> int:  # fmt: skip
    """An order row as checkout leaves it (attribution reads only the order header)."""
    uow = runtime.uow()
    async with uow:
        row = OrderRow(
            number=f"CL-{next(_numbers):06d}",
            channel=channel,
            status=status,
            customer_id=customer_id,
            currency="RUB",
            subtotal=total,
            total=total,
            price_snapshot={},
            sourcing={},
            actor="test",
            **({"placed_at": placed_at} if placed_at else {}),
        )
        uow.session.add(row)
        await uow.session.flush()
        order_id = row.id
        await uow.commit()
    return order_id


def now() -> datetime:
    return datetime.now(UTC)


def first(items: list[dict[str, Any]], key: str) -> list[Any]:
    return [i[key] for i in items]
