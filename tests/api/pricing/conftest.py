from __future__ import annotations

import pytest

from api.runtime import Runtime
from domain.access.model import Role
from tests.integration.pricing.conftest import Catalog, insert_catalog


@pytest.fixture
async def shop(runtime: Runtime) -> Catalog:
    return await insert_catalog(runtime)


@pytest.fixture
async def merch(gql, staff_token):
    _, token = await staff_token(Role.MERCHANDISER)
    return gql.as_(authorization=token)
