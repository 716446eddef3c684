"""POS sales at the till, including sales made while the terminal was offline.

A sale carries the till's own id (``client_sale_id``) and, when replayed from an offline
queue, the time it happened. It is recorded exactly once per (store, client sale id):
replays - sequential or concurrent, with or without the same idempotency key - serialise on a
transaction-scoped advisory lock for that pair and get the first order back. Carry-out stock
goes through ``record_sale``: the sale happened, so it is never refused for stock; a level
that goes short is flagged for a recount and so is the order (DESIGN invariant 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from domain.access.model import Channel, Principal
from domain.shared.errors import Forbidden, ValidationFailed
from domain.shared.uow import UnitOfWork
from fulfillment.model import FulfillmentMethod
from fulfillment.services.checkout import Draft, DraftLine, Placed, place_order
from fulfillment.services.tenders import TenderRequest
from fulfillment.tables import OrderRow

MAX_LINES = 100
#: An offline till may replay a sale this long after it happened.
MAX_OFFLINE_AGE = timedelta(days=30)


@dataclass(frozen=True)
class SaleLine:
    variant_id: int
    quantity: int


@dataclass(frozen=True)
class PosSale:
    client_sale_id: str
    lines: tuple[SaleLine, ...]
    tenders: tuple[TenderRequest, ...]
    location_id: int | None = None  # default: the terminal's store
    occurred_at: datetime | None = None  # offline: when it happened at the till
    customer_id: int | None = None
    voucher_codes: tuple[str, ...] = ()


def sale_store(principal: Principal, location_id: int | None) -> int:
    store = location_id or principal.client_location_id
    if store is None:
        raise ValidationFailed(
            "A till sale needs its store: use the POS terminal's API key or give locationId.",
            field="locationId",
        )
    if not (principal.client_location_id == store or principal.can_act_at(store)):
        raise Forbidden("You can sell at your own stores only.", field="locationId")
    return store


async def existing_sale(uow: UnitOfWork, store: int, client_sale_id: str) -> Placed | None:
    row = (
        await uow.session.execute(
            select(OrderRow.id, OrderRow.number).where(
                OrderRow.location_id == store, OrderRow.client_sale_id == client_sale_id
            )
        )
    ).one_or_none()
    return Placed(int(row.id), str(row.number), replayed=True) if row is not None else None


async def complete_sale(
    uow: UnitOfWork, principal: Principal, sale: PosSale, *, now: datetime | None = None
) -> Placed:
    now = now or datetime.now(UTC)
    sale_id = sale.client_sale_id.strip()
    if not sale_id or len(sale_id) > 100:
        raise ValidationFailed(
            "Give the till's sale id (1 to 100 characters).", field="clientSaleId"
        )
    if not sale.lines or len(sale.lines) > MAX_LINES:
        raise ValidationFailed(f"A sale has 1 to {MAX_LINES} lines.", field="lines")
    bad = [i for i, ln in enumerate(sale.lines) if not 1 <= ln.quantity <= 999]
    if bad:
        raise ValidationFailed("Quantity must be 1 to 999.", field=f"lines[{bad[0]}].quantity")
    occurred = sale.occurred_at
    if occurred is not None:
        if occurred.tzinfo is None:
            raise ValidationFailed("Give occurredAt with its time zone.", field="occurredAt")
        if occurred > now + timedelta(minutes=5) or occurred < now - MAX_OFFLINE_AGE:
            raise ValidationFailed(
                "occurredAt must be within the last 30 days and not in the future; check the "
                "till's clock.",
                field="occurredAt",
            )
    store = sale_store(principal, sale.location_id)
    async with uow:
        # One sale per (store, client id): concurrent replays queue here, then find the order.
        await uow.session.execute(
            select(
                func.pg_advisory_xact_lock(func.hashtextextended(f"pos-sale:{store}:{sale_id}", 0))
            )
        )
        found = await existing_sale(uow, store, sale_id)
        if found is not None:
            return found
        placed = await place_order(
            uow,
            Draft(
                channel=Channel.POS.value,
                lines=tuple(
                    DraftLine(i, ln.variant_id, ln.quantity, FulfillmentMethod.CARRY_OUT)
                    for i, ln in enumerate(sale.lines)
                ),
                tenders=sale.tenders,
                actor=principal.actor,
                location_id=store,
                customer_id=sale.customer_id,
                staff_user_id=principal.staff_user_id,
                voucher_codes=sale.voucher_codes,
                client_sale_id=sale_id,
                placed_at=occurred,
            ),
            now=now,
        )
        await uow.commit()
    return placed


def lines_of(pairs: Sequence[tuple[int, int]]) -> tuple[SaleLine, ...]:
    return tuple(SaleLine(v, q) for v, q in pairs)
