"""How much a return refunds: pure functions over the order's price snapshot.

The rule, in one sentence: **you get back what you paid for the goods, minus what the goods
you keep cost under the same order's prices and deals.** In detail (docs/returns.md has
worked examples):

1. Prices come from the order's snapshot, never from today's price list.
2. A line's *base* is what was paid for it before any multi-buy deal (BUY_X_GET_Y,
   BUNDLE_PRICE): ``total + multi-buy discounts``. It already includes catalogue discounts and
   the line's share of order discounts (percent, spend-X-get-Y-off, vouchers, loyalty tier),
   which stay with the units pro rata: a return never claws them back.
3. A line's base is split over its units by largest remainder (``allocate``); the first units
   to go back carry the extra kopecks, so returning every unit one by one refunds the base to
   the kopeck.
4. A multi-buy deal was given for the group. The units kept are priced again with the same
   deal (the pricing engine on the snapshot's shelf prices, the deal alone); they keep the
   discount they still qualify for, at most what the order got. The rest of the deal's discount
   is withdrawn.
5. ``refundable(state) = paid for goods - cost of the kept goods``; a return refunds
   ``max(0, refundable(after) - refunded so far)`` (cumulative, so the sum over any sequence of
   returns never exceeds what was paid and a full return refunds it exactly).
6. The refund is spread over the returned lines in proportion to their base (largest
   remainder), so per-line amounts always sum to the refund.
7. Delivery: refunded only when nothing of the order is kept any more and the return's reason
   is the store's fault (defective, wrong item, damaged in transit).
8. Loyalty points earned by the order are taken back in proportion to the goods refunded
   (cumulative floor of ``points_earned * refunded / paid``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.shared.money import allocate

MULTI_BUY_KINDS = frozenset({"BUY_X_GET_Y", "BUNDLE_PRICE"})


@dataclass(frozen=True)
class SnapshotDiscount:
    promotion_id: int
    kind: str
    amount: int


@dataclass(frozen=True)
class SnapshotLine:
    line_id: int
    variant_id: int
    quantity: int
    shelf_unit_price: int  # unit price after catalogue promotions (what multi-buys work on)
    total: int  # what the customer paid for the line (tax included)
    discounts: tuple[SnapshotDiscount, ...] = ()

    @property
    def multi_buy(self) -> int:
        return sum(d.amount for d in self.discounts if d.kind in MULTI_BUY_KINDS)

    @property
    def base(self) -> int:
        return self.total + self.multi_buy


#: (promotion id, units kept per line id) -> discount the kept units still earn with that deal
KeptDiscount = Callable[[int, Mapping[int, int]], int]


def snapshot_line(
    *,
    line_id: int,
    variant_id: int,
    quantity: int,
    unit_price: int,
    total: int,
    discounts: Sequence[Mapping[str, Any]],
) -> SnapshotLine:
    """From an order line's columns (discounts as written at checkout: promotionId, kind,
    stage, amount). The shelf price is the unit price less the per-unit catalogue discount."""
    parsed = tuple(
        SnapshotDiscount(int(d.get("promotionId") or 0), str(d.get("kind")), int(d["amount"]))
        for d in discounts
    )
    catalogue = sum(int(d["amount"]) for d in discounts if d.get("stage") == "CATALOGUE")
    return SnapshotLine(
        line_id, variant_id, quantity, unit_price - catalogue // quantity, total, parsed
    )


def base_share(line: SnapshotLine, gone: int) -> int:
    """The base of the first ``gone`` units of the line."""
    if gone <= 0:
        return 0
    if gone >= line.quantity:
        return line.base
    return sum(allocate(line.base, [1] * line.quantity)[:gone])


def multi_buy_deals(lines: Sequence[SnapshotLine]) -> dict[int, int]:
    """Promotion id -> discount the order got from that multi-buy deal."""
    deals: dict[int, int] = {}
    for line in lines:
        for d in line.discounts:
            if d.kind in MULTI_BUY_KINDS:
                deals[d.promotion_id] = deals.get(d.promotion_id, 0) + d.amount
    return deals


def paid_for_goods(lines: Sequence[SnapshotLine]) -> int:
    return sum(line.total for line in lines)


def kept_cost(
    lines: Sequence[SnapshotLine], gone: Mapping[int, int], kept_discount: KeptDiscount
) -> int:
    """What the units still kept (quantity - gone) cost under the order's prices and deals."""
    kept = {line.line_id: line.quantity - gone.get(line.line_id, 0) for line in lines}
    cost = sum(line.base - base_share(line, gone.get(line.line_id, 0)) for line in lines)
    if any(kept.values()):
        for promotion_id, got in multi_buy_deals(lines).items():
            cost -= max(0, min(got, kept_discount(promotion_id, kept)))
    return cost


def refundable(
    lines: Sequence[SnapshotLine], gone: Mapping[int, int], kept_discount: KeptDiscount
) -> int:
    """What the customer should have got back in total once ``gone`` units per line left."""
    return paid_for_goods(lines) - kept_cost(lines, gone, kept_discount)


@dataclass(frozen=True)
class LineRefund:
    line_id: int
    quantity: int
    amount: int


@dataclass(frozen=True)
class RefundPlan:
    goods: int  # refunded for the goods of this return
    lines: tuple[LineRefund, ...]
    withheld: int  # base of the returned units not refunded (deals the kept goods lost)
    shipping: int  # delivery refunded with this return


def plan_refund(
    lines: Sequence[SnapshotLine],
    *,
    gone_before: Mapping[int, int],
    returning: Mapping[int, int],
    refunded_goods: int,
    kept_discount: KeptDiscount,
    shipping_paid: int = 0,
    shipping_refunded: bool = True,
    store_fault: bool = False,
) -> RefundPlan:
    """The refund for ``returning`` units per line id, after ``gone_before`` units per line
    were already returned or cancelled and ``refunded_goods`` was already refunded for goods
    (by returns and cancellations)."""
    by_id = {line.line_id: line for line in lines}
    after = {i: gone_before.get(i, 0) + returning.get(i, 0) for i in by_id}
    for i, q in after.items():
        if returning.get(i, 0) < 0 or q > by_id[i].quantity:
            raise ValueError(f"line {i}: {q} units gone of {by_id[i].quantity}")
    goods = max(0, refundable(lines, after, kept_discount) - refunded_goods)
    ids = sorted(i for i, q in returning.items() if q > 0)
    bases = [
        base_share(by_id[i], after[i]) - base_share(by_id[i], gone_before.get(i, 0)) for i in ids
    ]
    amounts = allocate(goods, bases) if ids else []
    nothing_kept = all(after[i] >= by_id[i].quantity for i in by_id)
    shipping = shipping_paid if (nothing_kept and store_fault and not shipping_refunded) else 0
    return RefundPlan(
        goods=goods,
        lines=tuple(LineRefund(i, returning[i], a) for i, a in zip(ids, amounts, strict=True)),
        withheld=max(0, sum(bases) - goods),
        shipping=shipping,
    )


def points_to_reverse(
    *, points_earned: int, paid_for_goods: int, refunded_goods_after: int, reversed_before: int
) -> int:
    """Earned points to take back now: the cumulative pro-rata share of the goods refunded so
    far, minus what earlier returns took."""
    if points_earned <= 0 or paid_for_goods <= 0:
        return 0
    due = points_earned * min(refunded_goods_after, paid_for_goods) // paid_for_goods
    return max(0, due - reversed_before)


def capped(plan: RefundPlan, left: int) -> RefundPlan:
    """Never more than the order's tenders still hold (``left``): a cancellation refunded by
    another rule may have paid more already. Delivery gives way first, then the goods (spread
    over the lines as before)."""
    if plan.goods + plan.shipping <= left:
        return plan
    goods = min(plan.goods, max(left, 0))
    shipping = min(plan.shipping, max(left - goods, 0))
    amounts = allocate(goods, [line.amount for line in plan.lines]) if plan.lines else []
    return RefundPlan(
        goods=goods,
        lines=tuple(
            LineRefund(line.line_id, line.quantity, a)
            for line, a in zip(plan.lines, amounts, strict=True)
        ),
        withheld=plan.withheld + plan.goods - goods,
        shipping=shipping,
    )
