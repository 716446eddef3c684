from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from api.runtime import Runtime
from loyalty import services


@pytest.fixture
def enrol(runtime: Runtime) -> Any:
    """Enrol a customer by phone (as a till would); returns the customer id."""

    async def make(phone: str, **kw: Any) -> int:
        return await services.enrol(
            runtime.uow(), phone=phone, actor="staff:1", channel="POS", location_id=None, **kw
        )

    return make


@pytest.fixture
def scalar(runtime: Runtime) -> Any:
    async def run(sql: str, **params: Any) -> Any:
        async with runtime.engine.connect() as conn:
            return await conn.scalar(text(sql), params)

    return run


@pytest.fixture
def rows(runtime: Runtime) -> Any:
    async def run(sql: str, **params: Any) -> list[Any]:
        async with runtime.engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())

    return run
