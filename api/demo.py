"""The demo store: locations, client keys and staff logins (documented in the README).

Deterministic and re-runnable: what exists is left alone. Later issues add the catalog, stock,
prices and customers through ``DEMO_STEPS``. The demo keys and passwords are public; never use
``--demo`` on a server others can reach.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select

from api.runtime import Runtime
from domain.access import services as access
from domain.access.model import Channel, Role
from domain.access.tables import ApiKeyRow, StaffUserRow
from inventory import services as inventory
from inventory.model import LocationKind
from inventory.queries import location_by_code
from inventory.tables import LocationRow

DEMO_PASSWORD = "demo-password"
HOURS = {"mon-sun": "10:00-22:00"}

# code, name, address, lat, lon
STORES = [
    ("S01", "Omni Тверская", "ул. Тверская, 8, стр. 1", 55.76150, 37.60850),
    ("S02", "Omni Новый Арбат", "ул. Новый Арбат, 15", 55.75270, 37.58800),
    ("S03", "Omni Киевская", "пл. Киевского Вокзала, 2", 55.74470, 37.56600),
    ("S04", "Omni Павелецкая", "Павелецкая пл., 3", 55.73020, 37.63890),
    ("S05", "Omni Белорусская", "ул. Грузинский Вал, 10", 55.77670, 37.58200),
    ("S06", "Omni Сокольники", "ул. Русаковская, 31", 55.78930, 37.67970),
    ("S07", "Omni ВДНХ", "пр-т Мира, 119", 55.82190, 37.64040),
    ("S08", "Omni Кунцево", "ул. Ярцевская, 19", 55.73020, 37.44580),
    ("S09", "Omni Тёплый Стан", "Калужское ш., 21-й км", 55.60420, 37.49170),
]

API_KEYS = [
    # name, channel, store code, public id, secret
    ("Web storefront (demo)", Channel.WEB, None, "demoweb", "storefront-demo-key"),
    ("Mobile app (demo)", Channel.APP, None, "demoapp", "mobile-app-demo-key"),
    ("POS till 1, Тверская (demo)", Channel.POS, "S01", "demopos01", "pos-s01-till1-demo-key"),
    ("POS till 1, Новый Арбат (demo)", Channel.POS, "S02", "demopos02", "pos-s02-till1-demo-key"),
    ("Staff tablet, Тверская (demo)", Channel.STAFF, "S01", "demostaff01", "staff-s01-demo-key"),
    ("Back office (demo)", Channel.BACK_OFFICE, None, "demobo", "back-office-demo-key"),
]

STAFF = [
    # email, name, role, store codes
    ("admin@demo.omni", "Анна Админова", Role.ADMIN, []),
    ("merch@demo.omni", "Мария Товарова", Role.MERCHANDISER, []),
    ("warehouse@demo.omni", "Олег Складской", Role.WAREHOUSE, ["WH01"]),
    ("manager.s01@demo.omni", "Игорь Петров", Role.STORE_MANAGER, ["S01"]),
    ("cashier.s01@demo.omni", "Елена Смирнова", Role.CASHIER, ["S01"]),
    ("manager.s02@demo.omni", "Дмитрий Козлов", Role.STORE_MANAGER, ["S02"]),
    ("cashier.s02@demo.omni", "Ольга Иванова", Role.CASHIER, ["S02"]),
]


@dataclass(frozen=True)
class DemoKey:
    name: str
    channel: Channel
    key: str


async def load_locations(runtime: Runtime) -> None:
    async with runtime.session_factory() as session:
        existing = {code for (code,) in (await session.execute(select(LocationRow.code)))}
    if "WH01" not in existing:
        await inventory.create_location(
            runtime.uow(),
            code="WH01",
            name="Центральный склад",
            kind=LocationKind.WAREHOUSE,
            address="Рязанский пр-т, 86/1",
            city="Москва",
            latitude=55.71700,
            longitude=37.79000,
            ships=True,
            priority=10,
        )
    for code, name, address, lat, lon in STORES:
        if code not in existing:
            await inventory.create_location(
                runtime.uow(),
                code=code,
                name=name,
                kind=LocationKind.STORE,
                address=address,
                city="Москва",
                latitude=lat,
                longitude=lon,
                ships=code in ("S01", "S04"),
                offers_pickup=True,
                sells_in_store=True,
                opening_hours=HOURS,
                pickup_lead_minutes=60,
                priority=50,
            )
    if "P01" not in existing:
        await inventory.create_location(
            runtime.uow(),
            code="P01",
            name="Пункт выдачи Митино",
            kind=LocationKind.PICKUP_POINT,
            address="ул. Митинская, 40",
            city="Москва",
            latitude=55.84570,
            longitude=37.35960,
            offers_pickup=True,
            opening_hours=HOURS,
            pickup_lead_minutes=24 * 60,
            priority=90,
        )


async def load_access(runtime: Runtime) -> list[DemoKey]:
    async with runtime.session_factory() as session:
        codes = {code: (await location_by_code(session, code)) for code in ["WH01", "S01", "S02"]}
        have_keys = set((await session.scalars(select(ApiKeyRow.public_id))).all())
        have_staff = set((await session.scalars(select(StaffUserRow.email))).all())
    keys = []
    for name, channel, store, public_id, secret in API_KEYS:
        if public_id not in have_keys:
            await access.create_api_key(
                runtime.uow(),
                actor="demo",
                name=name,
                channel=channel,
                location_id=codes[store].id if store else None,
                fixed=(public_id, secret),
            )
        keys.append(
            DemoKey(name=name, channel=channel, key=f"{access.KEY_PREFIX}{public_id}.{secret}")
        )
    for email, name, role, stores in STAFF:
        if email not in have_staff:
            await access.create_staff_user(
                runtime.uow(),
                actor=None,
                email=email,
                name=name,
                password=DEMO_PASSWORD,
                role=role,
                location_ids=[codes[s].id for s in stores],
            )
    return keys


#: Later issues append their loaders (catalog, stock, prices, customers...).
DEMO_STEPS: list[Callable[[Runtime], Awaitable[object]]] = [load_locations, load_access]


async def load_catalog(runtime: Runtime) -> None:
    """The electronics catalog (206 products, bilingual), upserted by SKU: re-runs are no-ops."""
    from domain.catalog import demo_data

    await demo_data.load(runtime.uow)


DEMO_STEPS.append(load_catalog)


async def load_prices(runtime: Runtime) -> None:
    """RUB prices for every demo variant, compare-at prices, an online-only smartphone price,
    scheduled changes, promotions and vouchers WELCOME500 / APP10 (see api/pricing/demo.py)."""
    from api.pricing.demo import load_prices as load_demo_prices

    await load_demo_prices(runtime)


DEMO_STEPS.append(load_prices)


async def load_stock(runtime: Runtime) -> None:
    """Stock in WH01 and the stores (after the catalog); see inventory/demo_data.py."""
    from inventory.demo_data import load_demo_stock

    await load_demo_stock(runtime.uow)


DEMO_STEPS.append(load_stock)


async def load_customers(runtime: Runtime) -> None:
    """Demo customers, cards, points and tiers (docs/loyalty.md lists them)."""
    from api.loyalty import demo as loyalty_demo

    await loyalty_demo.load_customers(runtime)


DEMO_STEPS.append(load_customers)


async def load_demo(runtime: Runtime) -> None:
    for step in DEMO_STEPS:
        await step(runtime)


def credentials_text() -> str:
    lines = [
        "Demo credentials (public; for trying the API only):",
        "  API keys (header X-Api-Key):",
    ]
    for name, _channel, _store, public_id, secret in API_KEYS:
        lines.append(f"    {name:34} {access.KEY_PREFIX}{public_id}.{secret}")
    lines.append(f"  Staff logins (mutation staffSignIn), password '{DEMO_PASSWORD}':")
    for email, _name, role, stores in STAFF:
        lines.append(f"    {email:26} {role.value:14} {' '.join(stores) or 'all locations'}")
    from api.loyalty.demo import credentials_lines

    lines.extend(credentials_lines())
    return "\n".join(lines)


async def load_returns(runtime: Runtime) -> None:
    """Return window and demo store credit (api/returns/demo.py)."""
    from api.returns.demo import load_returns as load

    await load(runtime)


DEMO_STEPS.append(load_returns)


async def load_clienteling(runtime: Runtime) -> None:
    """Анна Петрова's web browsing before her store visit (loyalty/clienteling/demo.py)."""
    from loyalty.clienteling.demo import load_clienteling as load

    await load(runtime)


DEMO_STEPS.append(load_clienteling)


async def load_orders(runtime: Runtime) -> None:
    """A web delivery order (Анна Петрова) and a till sale at S01 (api/orders/demo.py)."""
    from api.orders.demo import load_demo_orders

    await load_demo_orders(runtime)


DEMO_STEPS.append(load_orders)
