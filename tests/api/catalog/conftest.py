from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from api.relay import encode_id
from api.runtime import Runtime
from domain.access import services as access
from domain.access.model import Channel, Role
from tests.conftest import GQL
from tests.integration.catalog.seed import Seed, seed_catalog


@pytest.fixture
async def seed(runtime: Runtime) -> Seed:
    return await seed_catalog(runtime)


@pytest.fixture
async def merch(gql: GQL, staff_token: Any) -> GQL:
    _, bearer = await staff_token(Role.MERCHANDISER)
    return gql.as_(authorization=bearer)


@pytest.fixture
def api_key(runtime: Runtime, make_location: Any) -> Any:
    """An API key for a channel (POS and STAFF keys get store S01)."""

    async def make(channel: Channel) -> str:
        location = await make_location("S01") if channel in (Channel.POS, Channel.STAFF) else None
        public, secret = f"t{channel.value.lower()}", f"{channel.value.lower()}-secret"
        await access.create_api_key(
            runtime.uow(),
            actor="test",
            name=f"{channel.value} test",
            channel=channel,
            location_id=location,
            fixed=(public, secret),
        )
        return f"{access.KEY_PREFIX}{public}.{secret}"

    return make


def gid(type_name: str, db_id: int) -> str:
    return str(encode_id(type_name, db_id))


async def table_counts(runtime: Runtime) -> dict[str, int]:
    """Rows in the catalog tables and the outbox: proof that a failure wrote nothing."""
    out = {}
    async with runtime.engine.connect() as conn:
        for table in ("products", "variants", "brands", "categories", "attribute_definitions",
                      "product_types", "outbox_events"):  # fmt: skip
            out[table] = int(await conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
    return out
