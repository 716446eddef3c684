from __future__ import annotations

from typing import Any

import pytest

from api.runtime import Runtime
from tests.integration.inventory.support import make_variants


@pytest.fixture
def variants(runtime: Runtime) -> Any:
    async def make(*skus: str, barcode: bool = False) -> list[int]:
        return await make_variants(runtime, *skus, barcode=barcode)

    return make
