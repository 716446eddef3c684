"""Till lookup on 1,000,000 customers: ``customerLookup`` by phone typed the way cashiers type
it ("8 (916) 012-34-56", "+7 916 0123456", ...) and by card number, as a cashier at a POS till.

The customers (a phone and a card each, a points account) are written by set-based SQL
(generate_series) in one transaction: seconds, not the hours 1M service calls would take.
The till's key, store and cashier go through the domain services like any other data.
"""

from __future__ import annotations

import os
import random
import time

import orjson
from sqlalchemy import text

from bench import Data, HttpCase, Request, Scenario, graphql, runtime
from domain.access import services as access
from domain.access.model import Channel, PrincipalKind, Role
from domain.access.tokens import issue_token
from inventory import services as inventory
from inventory.model import LocationKind
from loyalty.model import card_number_for

CUSTOMERS = int(os.environ.get("BENCH_LOYALTY_CUSTOMERS", "1000000"))
SAMPLE = 2000  # distinct customers the load cycles through (cache-unfriendly enough)

LOOKUP = """query($q: String!) { customerLookup(identifier: $q) {
  userErrors { code message } matchedBy
  customer { id displayName cardNumber loyalty { pointsBalance tier { code } } } } }"""

# Phones +7 916 000-00-01 .. in E.164; cards 299 + serial + EAN-13 check digit, as issued.
LOAD = [
    "SET LOCAL synchronous_commit = off",
    # The rows are generated consistent: skip the per-row foreign-key triggers (superuser only).
    "SET LOCAL session_replication_role = replica",
    """INSERT INTO customers (id, status, first_name, last_name, qr_generation, registered_via,
                              registered_channel)
       SELECT g, 'ACTIVE', 'Покупатель', 'N' || g, 0, 'ENROLMENT', 'POS'
       FROM generate_series(1, :n) g""",
    """INSERT INTO customer_identifiers (customer_id, kind, value, verification)
       SELECT g, 'PHONE', '+7916' || lpad(g::text, 7, '0'), 'UNVERIFIED'
       FROM generate_series(1, :n) g""",
    # EAN-13 check digit of 299 + lpad(g, 9): weights 1,3,1,3... ("299" alone sums to 38)
    """INSERT INTO customer_identifiers (customer_id, kind, value, verification)
       SELECT g, 'CARD', '299' || lpad(g::text, 9, '0') || ((10 - (38
                + 3 * ((g / 100000000) % 10 + (g / 1000000) % 10 + (g / 10000) % 10
                       + (g / 100) % 10 + g % 10)
                + (g / 10000000) % 10 + (g / 100000) % 10 + (g / 1000) % 10 + (g / 10) % 10
              ) % 10) % 10)::text, 'VERIFIED'
       FROM generate_series(1, :n) g""",
    "INSERT INTO loyalty_accounts (customer_id, balance) SELECT g, g % 5000 "
    "FROM generate_series(1, :n) g",
    "SELECT setval('customers_id_seq', :n)",
    "SELECT setval('loyalty_card_seq', :n)",
]


def typed_phone(n: int, style: int) -> str:
    digits = f"916{n:07d}"
    a, b, c, d = digits[:3], digits[3:6], digits[6:8], digits[8:]
    return [
        f"8 ({a}) {b}-{c}-{d}",
        f"+7 {a} {b}{c}{d}",
        f"+7 ({a}) {b} {c} {d}",
        f"8{digits}",
    ][style % 4]


async def setup(database_url: str) -> Data:
    async with runtime(database_url) as rt:
        store = await inventory.create_location(
            rt.uow(),
            code="S01",
            name="Omni Тверская",
            kind=LocationKind.STORE,
            sells_in_store=True,
        )
        key = await access.create_api_key(
            rt.uow(), actor="bench", name="POS till 1", channel=Channel.POS, location_id=store
        )
        cashier = await access.create_staff_user(
            rt.uow(),
            actor=None,
            email="cashier@bench.omni",
            name="Кассир",
            password="bench-password",
            role=Role.CASHIER,
            location_ids=[store],
        )
        token, _ = issue_token(
            secret=rt.secret,
            kind=PrincipalKind.STAFF,
            subject_id=cashier,
            role=Role.CASHIER,
            ttl_seconds=24 * 3600,
        )
        started = time.perf_counter()
        async with rt.engine.begin() as conn:
            for statement in LOAD:
                await conn.execute(text(statement), {"n": CUSTOMERS})
        async with rt.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(
                text("VACUUM ANALYZE customers, customer_identifiers, loyalty_accounts")
            )
        print(f"loyalty: {CUSTOMERS:,} customers loaded in {time.perf_counter() - started:.1f} s")
    rng = random.Random(6)
    picks = [rng.randint(1, CUSTOMERS) for _ in range(SAMPLE)]
    return {"api_key": key.key, "token": token, "picks": picks}


def _found(status: int, body: bytes) -> str | None:
    if status != 200:
        return f"HTTP {status}: {body[:300]!r}"
    document = orjson.loads(body)
    lookup = (document.get("data") or {}).get("customerLookup") or {}
    if document.get("errors") or lookup.get("userErrors") or not lookup.get("customer"):
        return f"not found: {body[:300]!r}"
    return None


def by_phone(data: Data) -> list[Request]:
    return [
        graphql(LOOKUP, {"q": typed_phone(n, i)}, api_key=data["api_key"], token=data["token"])
        for i, n in enumerate(data["picks"])
    ]


def by_card(data: Data) -> list[Request]:
    return [
        graphql(LOOKUP, {"q": card_number_for(n)}, api_key=data["api_key"], token=data["token"])
        for n in data["picks"]
    ]


SCENARIO = Scenario(
    name="loyalty",
    description=f"customerLookup at a POS till on {CUSTOMERS:,} customers: phone typed in four "
    "Russian formats, and card number",
    setup=setup,
    cases=[
        HttpCase("lookup-phone", by_phone, check=_found),
        HttpCase("lookup-card", by_card, check=_found),
    ],
)
