from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text

from api.runtime import Runtime
from domain.access import services as access
from domain.access.model import Channel, Principal, PrincipalKind, Role
from loyalty import services as loyalty
from tests.support.orders import make_world


@dataclass
class Shop:
    store: int
    other_store: int
    product: int
    products: list[int]
    runtime: Runtime

    async def customer(self, phone: str) -> int:
        return await loyalty.enrol(
            self.runtime.uow(), phone=phone, actor="test", channel="POS", location_id=None
        )

    async def staff(self, role: Role = Role.CASHIER, store: int | None = None) -> Principal:
        store = store or self.store
        n = await self._count("SELECT count(*) FROM staff_users") + 1
        staff_id = await access.create_staff_user(
            self.runtime.uow(), actor=None, email=f"c{n}@test.omni", name=f"Consultant {n}",
            password="correct-horse-battery", role=role, location_ids=[store],
        )  # fmt: skip
        return Principal(
            kind=PrincipalKind.STAFF, role=role, channel=Channel.STAFF,
            staff_user_id=staff_id, location_ids=frozenset({store}),
        )  # fmt: skip

    async def _count(self, sql: str) -> int:
        async with self.runtime.engine.connect() as conn:
            return int(await conn.scalar(text(sql)) or 0)


@pytest.fixture
async def shop(runtime: Runtime) -> Shop:
    world = await make_world(runtime, keys=False)
    async with runtime.engine.connect() as conn:
        ids = list((await conn.execute(text("SELECT id FROM products ORDER BY id"))).scalars())
    return Shop(world.locations["S01"], world.locations["S02"], ids[0], ids, runtime)


@pytest.fixture
def rows(runtime: Runtime) -> Any:
    async def run(sql: str, **params: Any) -> list[Any]:
        async with runtime.engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())

    return run
