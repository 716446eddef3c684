"""POS sales at the till, including sales made while the terminal was offline.

Every till sale is made by the store's POS terminal with a signed-in cashier (or manager) of
that store (``fulfillment.till.till_store``); anything else is refused before a row is written.

A sale carries the till's own id (``client_sale_id``). It is recorded exactly once per (store,
client sale id): replays - sequential or concurrent, with or without the same idempotency key -
serialise on a transaction-scoped advisory lock for that pair and get the first order back,
marked ``replayed``. A sale the till *declares* offline (``offline``: since when, why) and that
happened within the offline window is a fact: tenders, vouchers and points are taken as the
till recorded them and what the server could not honour is noted (DESIGN invariant 2). Any
other sale is checked strictly, whatever its ``occurred_at``. A sale with a payment discrepancy
or review notes joins the store managers' review queue in the same transaction. Carry-out stock
goes through ``record_sale``: never refused for stock; a level that goes short is flagged for a
recount and so is the order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from domain.access.model import Channel, Principal
from domain.shared.clock import utcnow
from domain.shared.errors import ValidationFailed
from domain.shared.uow import UnitOfWork
from fulfillment.model import FulfillmentMethod
from fulfillment.services.checkout import Draft, DraftLine, Placed, place_order
from fulfillment.services.pos_reviews import open_review
from fulfillment.services.tenders import TenderRequest
from fulfillment.tables import OrderRow
from fulfillment.till import DEFAULT_OFFLINE_WINDOW, OfflineDeclaration, sale_time, till_store

MAX_LINES = 100


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
    occurred_at: datetime | None = None  # when it happened at the till
    customer_id: int | None = None
    voucher_codes: tuple[str, ...] = ()
    offline: OfflineDeclaration | None = None  # the till says it was offline


async def existing_sale(uow: UnitOfWork, store: int, client_sale_id: str) -> Placed | None:
    row = (
        await uow.session.execute(
            select(OrderRow.id, OrderRow.number).where(
                OrderRow.location_id == store, OrderRow.client_sale_id == client_sale_id
            )
        )
    ).one_or_none()
    return Placed(int(row.id), str(row.number), replayed=True) if row is not None else None


def check_sale(sale: PosSale) -> str:
    """The sale's own shape (no database); returns the till's sale id, trimmed."""
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
    return sale_id


async def complete_sale(
    uow: UnitOfWork,
    principal: Principal,
    sale: PosSale,
    *,
    now: datetime | None = None,
    offline_window: timedelta = DEFAULT_OFFLINE_WINDOW,
) -> Placed:
    now = now or utcnow()
    store = till_store(principal, sale.location_id)
    sale_id = check_sale(sale)
    async with uow:
        # One sale per (store, client id): concurrent replays queue here, then find the order.
        await uow.session.execute(
            select(
                func.pg_advisory_xact_lock(func.hashtextextended(f"pos-sale:{store}:{sale_id}", 0))
            )
        )
        found = await existing_sale(uow, store, sale_id)
        if found is not None:
            return found  # a replay of a recorded sale: the first order, whatever its age
        occurred, offline = sale_time(
            occurred_at=sale.occurred_at, offline=sale.offline, now=now, window=offline_window
        )
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
                offline=offline,
            ),
            now=now,
        )
        await open_review(
            uow,
            order_id=placed.order_id,
            offline=sale.offline if offline else None,
            actor=principal.actor,
        )
        await uow.commit()
    return placed


def lines_of(pairs: Sequence[tuple[int, int]]) -> tuple[SaleLine, ...]:
    return tuple(SaleLine(v, q) for v, q in pairs)
