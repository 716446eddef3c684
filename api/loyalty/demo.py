"""Demo customers (documented in docs/loyalty.md): deterministic and re-runnable.

Phones are written as people type them at a till; they are stored in E.164. Spend is recorded
a few weeks back so the tiers hold for a year after loading; points come from demo purchases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from api.runtime import Runtime
from inventory.queries import location_by_code
from loyalty import model, services
from loyalty.model import ContactChannel, PurchaseLine

DEMO_CUSTOMER_PASSWORD = "demo-password"


@dataclass(frozen=True)
class DemoCustomer:
    key: str
    first_name: str
    last_name: str
    phone: str | None
    email: str | None  # with an email: signed up online (password DEMO_CUSTOMER_PASSWORD)
    card_sequence: int | None  # a pre-printed physical card handed over at the till
    store: str | None  # enrolled at this till
    spend_rub: int  # in the last 12 months (drives the tier)
    purchases: list[tuple[int, str | None]] = field(default_factory=list)  # (RUB, category)
    consents: dict[ContactChannel, bool] = field(default_factory=dict)


DEMO_CUSTOMERS = [
    DemoCustomer(
        "anna",
        "Анна",
        "Петрова",
        "8 (916) 123-45-67",
        "anna.petrova@demo.omni",
        None,
        None,
        120_000,
        [(89_990, None), (24_990, "headphones")],
        {ContactChannel.EMAIL: True, ContactChannel.PUSH: True, ContactChannel.SMS: False},
    ),
    DemoCustomer(
        "sergey",
        "Сергей",
        "Волков",
        "+7 903 555-12-34",
        None,
        500_000_001,
        "S01",
        45_000,
        [(45_000, None)],
        {ContactChannel.SMS: True},
    ),
    DemoCustomer(
        "maria",
        "Мария",
        "Соколова",
        "+7 (925) 700-00-03",
        "maria.sokolova@demo.omni",
        None,
        None,
        12_000,
        [(12_000, "accessories")],
        {ContactChannel.PUSH: True},
    ),
    # One person, two profiles: signed up online without a phone, and enrolled at a till by
    # phone. Try customerMerge on them.
    DemoCustomer(
        "olga-online",
        "Ольга",
        "Смирнова",
        None,
        "olga.smirnova@demo.omni",
        None,
        None,
        8_000,
        [(8_000, None)],
        {ContactChannel.EMAIL: True},
    ),
    DemoCustomer(
        "olga-till",
        "Ольга",
        "",
        "8 926 111-22-33",
        None,
        500_000_002,
        "S02",
        5_000,
        [(5_000, "headphones")],
        {ContactChannel.SMS: True},
    ),
]


async def _existing(runtime: Runtime, customer: DemoCustomer) -> int | None:
    identifier = customer.email or customer.phone or ""
    async with runtime.session_factory() as session:
        found = await services.lookup(session, identifier, secret=runtime.secret)
    return found.customer_id


async def _create(runtime: Runtime, customer: DemoCustomer) -> int:
    if customer.email:
        return await services.sign_up(
            runtime.uow(),
            email=customer.email,
            password=DEMO_CUSTOMER_PASSWORD,
            first_name=customer.first_name,
            last_name=customer.last_name,
            phone=customer.phone,
            consents=customer.consents,
            channel="WEB",
        )
    async with runtime.session_factory() as session:
        store = await location_by_code(session, customer.store or "S01")
    return await services.enrol(
        runtime.uow(),
        phone=customer.phone or "",
        first_name=customer.first_name,
        last_name=customer.last_name,
        card_number=model.card_number_for(customer.card_sequence)
        if customer.card_sequence
        else None,
        consents=customer.consents,
        actor="demo",
        channel="POS",
        location_id=store.id if store else None,
    )


async def load_customers(runtime: Runtime) -> None:
    now = datetime.now(UTC)
    for c in DEMO_CUSTOMERS:
        customer_id = await _existing(runtime, c) or await _create(runtime, c)
        await services.record_spend(
            runtime.uow(),
            customer_id,
            amount_minor=c.spend_rub * 100,
            currency="RUB",
            occurred_at=now - timedelta(days=20),
            order_ref=f"demo:{c.key}:spend",
        )
        for i, (rub, category) in enumerate(c.purchases):
            await services.earn_points(
                runtime.uow(),
                customer_id,
                lines=[PurchaseLine(rub * 100, category)],
                reference=f"demo:{c.key}:order:{i + 1}",
                actor="demo",
                idempotency_key=f"demo:{c.key}:earn:{i + 1}",
            )


def credentials_lines() -> list[str]:
    lines = [f"  Demo customers (customerSignIn), password '{DEMO_CUSTOMER_PASSWORD}':"]
    for c in DEMO_CUSTOMERS:
        if c.email:
            lines.append(f"    {c.email:26} {c.first_name} {c.last_name}")
    lines.append(
        "  Till lookups (customerLookup): 8 (916) 123-45-67, +7 903 555-12-34, "
        f"card {model.card_number_for(500_000_001)}"
    )
    return lines
