"""The price engine: ``quote(cart, prices, promotions, context) -> Quote``. Pure; no I/O.

Every channel (web, app, POS, staff orders, order edits, refunds) prices through this one
function; docs/pricing.md states the rules. In short:

1. Each line's list price is resolved (``prices.resolve_price``).
2. Vouchers are checked; a valid one unlocks its ``voucher_only`` promotion.
3. Catalogue stage, per unit of each line: the exclusive catalogue promotions each alone, and all
   combinable ones stacked in priority order, are the options; the one saving the most wins.
4. Order stage, on the lines after stage 3: the same choice between each exclusive order
   promotion alone and the combinable ones stacked in priority order. Each order discount is
   allocated to its lines by largest remainder.
5. Tax is the part of each line's (tax-inclusive) total given by its rate, half-up per line.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from domain.access.model import Channel
from domain.pricing.errors import PriceNotFound
from domain.pricing.model.prices import PriceEntry, effective_compare_at, resolve_price
from domain.pricing.model.promotions import (
    Item,
    Promotion,
    PromotionKind,
    PromotionStatus,
    Voucher,
    normalise_code,
)
from domain.pricing.model.rounding import included_tax, percent_of
from domain.pricing.model.taxes import STANDARD, TaxRate, resolve_rate
from domain.shared.errors import DomainError, MultipleErrors, ValidationFailed
from domain.shared.money import allocate

TIER_PROMOTION_ID = 0  # the synthetic promotion carrying the loyalty tier discount
TIER_PRIORITY = -1_000_000  # applied after every other combinable order promotion


class Stage(enum.StrEnum):
    CATALOGUE = "CATALOGUE"
    ORDER = "ORDER"


class Reason(enum.StrEnum):
    APPLIED = "APPLIED"
    INACTIVE = "INACTIVE"
    NOT_STARTED = "NOT_STARTED"
    ENDED = "ENDED"
    WRONG_CURRENCY = "WRONG_CURRENCY"
    OTHER_CHANNEL = "OTHER_CHANNEL"
    OTHER_STORE = "OTHER_STORE"
    NOT_FOR_CUSTOMER = "NOT_FOR_CUSTOMER"
    NEEDS_VOUCHER = "NEEDS_VOUCHER"
    NO_MATCHING_ITEMS = "NO_MATCHING_ITEMS"
    MIN_SPEND_NOT_MET = "MIN_SPEND_NOT_MET"
    NOT_ENOUGH_ITEMS = "NOT_ENOUGH_ITEMS"
    NO_SAVING = "NO_SAVING"
    BETTER_DEAL_CHOSEN = "BETTER_DEAL_CHOSEN"


class VoucherReason(enum.StrEnum):
    ACCEPTED = "ACCEPTED"
    VOUCHER_UNKNOWN = "VOUCHER_UNKNOWN"
    VOUCHER_INACTIVE = "VOUCHER_INACTIVE"
    VOUCHER_NOT_STARTED = "VOUCHER_NOT_STARTED"
    VOUCHER_EXPIRED = "VOUCHER_EXPIRED"
    VOUCHER_EXHAUSTED = "VOUCHER_EXHAUSTED"
    VOUCHER_CUSTOMER_LIMIT = "VOUCHER_CUSTOMER_LIMIT"
    VOUCHER_NEEDS_CUSTOMER = "VOUCHER_NEEDS_CUSTOMER"
    VOUCHER_MIN_SPEND = "VOUCHER_MIN_SPEND"
    VOUCHER_NOT_APPLICABLE = "VOUCHER_NOT_APPLICABLE"


# ------------------------------------------------------------------------------ input


@dataclass(frozen=True, slots=True)
class CartLine:
    item: Item
    quantity: int


@dataclass(frozen=True, slots=True)
class Cart:
    lines: tuple[CartLine, ...]
    shipping: int = 0  # delivery charge, tax-inclusive, before discounts


@dataclass(frozen=True, slots=True)
class Customer:
    id: int | None = None
    tier: str | None = None
    tier_discount_bp: int = 0  # the loyalty tier's personalised discount
    segments: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class QuoteContext:
    channel: Channel
    at: datetime
    currency: str = "RUB"
    location_id: int | None = None
    customer: Customer = field(default_factory=Customer)
    country: str = "RU"
    region: str | None = None
    tax_rates: tuple[TaxRate, ...] = ()
    voucher_codes: tuple[str, ...] = ()
    vouchers: Mapping[str, Voucher] = field(default_factory=dict)  # by normalised code


# ------------------------------------------------------------------------------ output


@dataclass(frozen=True, slots=True)
class LineDiscount:
    promotion_id: int
    promotion_name: str
    kind: PromotionKind
    stage: Stage
    amount: int  # for the whole line
    voucher_code: str | None = None


@dataclass(frozen=True, slots=True)
class QuoteLine:
    variant_id: int
    sku: str
    quantity: int
    unit_price: int  # list price in force
    compare_at: int | None  # "was" price to show, if any
    shelf_unit_price: int  # after catalogue promotions: what the shelf label says
    subtotal: int  # unit_price * quantity
    discounts: tuple[LineDiscount, ...]
    discount_total: int
    total: int  # subtotal - discount_total, tax included
    tax_class: str
    tax_rate_bp: int
    tax: int
    net: int  # total - tax
    price_id: int


@dataclass(frozen=True, slots=True)
class Consideration:
    promotion_id: int
    promotion_name: str
    kind: PromotionKind
    applied: bool
    reason: Reason
    message: str
    discount: int = 0
    voucher_code: str | None = None


@dataclass(frozen=True, slots=True)
class VoucherOutcome:
    code: str
    accepted: bool
    reason: VoucherReason
    message: str
    promotion_id: int | None = None


@dataclass(frozen=True, slots=True)
class Quote:
    currency: str
    channel: Channel
    lines: tuple[QuoteLine, ...]
    subtotal: int
    discount_total: int  # line discounts (catalogue + order)
    order_discount_total: int  # the order-stage part of discount_total
    shipping: int
    shipping_discount: int
    tax_total: int
    total: int  # what the customer pays: lines + shipping - shipping discount
    considered: tuple[Consideration, ...]
    vouchers: tuple[VoucherOutcome, ...]

    @property
    def accepted_voucher_codes(self) -> tuple[str, ...]:
        return tuple(v.code for v in self.vouchers if v.accepted)


# ------------------------------------------------------------------------------ the engine


@dataclass
class _Line:
    cart: CartLine
    entry: PriceEntry
    shelf_unit: int = 0
    catalogue: list[LineDiscount] = field(default_factory=list)
    order: list[LineDiscount] = field(default_factory=list)

    @property
    def after_catalogue(self) -> int:
        return self.shelf_unit * self.cart.quantity

    @property
    def remaining(self) -> int:
        return self.after_catalogue - sum(d.amount for d in self.order)


def quote(
    cart: Cart,
    prices: Mapping[int, Sequence[PriceEntry]],
    promotions: Sequence[Promotion],
    context: QuoteContext,
) -> Quote:
    lines = _resolve_lines(cart, prices, context)
    promos = [*promotions, *_tier_promotion(context)]
    by_id = {p.id: p for p in promos}
    outcomes, unlocked = _check_vouchers(context, by_id)
    static = {p.id: _static_reason(p, context, unlocked) for p in promos}
    notes: dict[int, Consideration] = {}

    # Voucher minimum spend is tested on the cart after the catalogue promotions that need no
    # voucher (a voucher cannot help reach its own minimum).
    if any(o.accepted and context.vouchers[o.code].min_spend for o in outcomes):
        open_catalogue = [
            p for p in promos if p.is_catalogue and static[p.id] is None and not p.voucher_only
        ]
        _catalogue_stage(lines, open_catalogue, {}, notes=None)
    spend = sum(line.after_catalogue for line in lines)
    for i, outcome in enumerate(outcomes):
        voucher = context.vouchers.get(outcome.code)
        if outcome.accepted and voucher is not None and spend < voucher.min_spend:
            outcomes[i] = VoucherOutcome(
                outcome.code,
                False,
                VoucherReason.VOUCHER_MIN_SPEND,
                f"Code {outcome.code} needs a spend of {_rub(voucher.min_spend)}; the cart is "
                f"{_rub(spend)}. Add {_rub(voucher.min_spend - spend)} more.",
                outcome.promotion_id,
            )
            unlocked.pop(voucher.promotion_id, None)
            static[voucher.promotion_id] = (Reason.NEEDS_VOUCHER, outcomes[i].message)

    eligible = [p for p in promos if static[p.id] is None]
    _catalogue_stage(lines, [p for p in eligible if p.is_catalogue], unlocked, notes=notes)
    shipping_discount = _order_stage(
        lines, [p for p in eligible if not p.is_catalogue], unlocked, cart.shipping, notes
    )
    for p in promos:
        reason = static[p.id]
        if reason is not None:
            notes[p.id] = _note(p, reason[0], reason[1], unlocked)
    for i, outcome in enumerate(outcomes):
        note = notes.get(outcome.promotion_id) if outcome.promotion_id is not None else None
        if outcome.accepted and (note is None or not note.applied):
            outcomes[i] = VoucherOutcome(
                outcome.code,
                False,
                VoucherReason.VOUCHER_NOT_APPLICABLE,
                f"Code {outcome.code} gives nothing for this cart"
                + (f": {note.message}" if note else "."),
                outcome.promotion_id,
            )
    return _build(cart, lines, promos, notes, outcomes, shipping_discount, context)


def _rub(minor: int) -> str:
    return f"{minor // 100} RUB" if minor % 100 == 0 else f"{minor / 100:.2f} RUB"


def _resolve_lines(
    cart: Cart, prices: Mapping[int, Sequence[PriceEntry]], ctx: QuoteContext
) -> list[_Line]:
    errors: list[DomainError] = []
    lines: list[_Line] = []
    for i, cl in enumerate(cart.lines):
        if cl.quantity < 1:
            errors.append(
                ValidationFailed(
                    f"Line {i + 1} ({cl.item.sku}): quantity must be at least 1.",
                    field=f"lines[{i}].quantity",
                )
            )
            continue
        entry = resolve_price(
            prices.get(cl.item.variant_id, ()),
            currency=ctx.currency,
            channel=ctx.channel,
            at=ctx.at,
        )
        if entry is None:
            errors.append(
                PriceNotFound(
                    f"{cl.item.sku} has no {ctx.currency} price for {ctx.channel.value} now; "
                    "a merchandiser must set one before it can be sold.",
                    field=f"lines[{i}]",
                )
            )
            continue
        lines.append(_Line(cl, entry, shelf_unit=entry.amount))
    if cart.shipping < 0:
        errors.append(ValidationFailed("Shipping cannot be negative.", field="shipping"))
    if errors:
        raise errors[0] if len(errors) == 1 else MultipleErrors(errors)
    return lines


def _tier_promotion(ctx: QuoteContext) -> list[Promotion]:
    c = ctx.customer
    if c.tier is None or c.tier_discount_bp <= 0:
        return []
    return [
        Promotion(
            id=TIER_PROMOTION_ID,
            name=f"Loyalty {c.tier}: {c.tier_discount_bp / 100:g}% off",
            kind=PromotionKind.ORDER_PERCENT,
            currency=ctx.currency,
            percent_bp=c.tier_discount_bp,
            tiers=frozenset({c.tier}),
            priority=TIER_PRIORITY,
        )
    ]


def _check_vouchers(
    ctx: QuoteContext, promos: Mapping[int, Promotion]
) -> tuple[list[VoucherOutcome], dict[int, str]]:
    outcomes: list[VoucherOutcome] = []
    unlocked: dict[int, str] = {}
    seen: set[str] = set()
    for raw in ctx.voucher_codes:
        code = normalise_code(raw)
        if code in seen:
            continue
        seen.add(code)
        v = ctx.vouchers.get(code)
        reason, message = _voucher_reason(v, code, ctx, promos)
        if reason is VoucherReason.ACCEPTED and v is not None:
            if v.promotion_id in unlocked:
                other = unlocked[v.promotion_id]
                reason = VoucherReason.VOUCHER_NOT_APPLICABLE
                message = f"Code {code} unlocks the same offer as {other}."
            else:
                unlocked[v.promotion_id] = code
        outcomes.append(
            VoucherOutcome(
                code,
                reason is VoucherReason.ACCEPTED,
                reason,
                message,
                v.promotion_id if v is not None else None,
            )
        )
    return outcomes, unlocked


def _voucher_reason(
    v: Voucher | None, code: str, ctx: QuoteContext, promos: Mapping[int, Promotion]
) -> tuple[VoucherReason, str]:
    if v is None or v.promotion_id not in promos:
        return VoucherReason.VOUCHER_UNKNOWN, f"There is no voucher {code}; check the spelling."
    if not v.active or promos[v.promotion_id].status is not PromotionStatus.ACTIVE:
        return VoucherReason.VOUCHER_INACTIVE, f"Voucher {code} has been withdrawn."
    if v.starts_at is not None and ctx.at < v.starts_at:
        return (
            VoucherReason.VOUCHER_NOT_STARTED,
            f"Voucher {code} is valid from {v.starts_at.isoformat()}.",
        )
    if v.ends_at is not None and ctx.at >= v.ends_at:
        return VoucherReason.VOUCHER_EXPIRED, f"Voucher {code} expired on {v.ends_at.isoformat()}."
    if v.usage_limit is not None and v.used >= v.usage_limit:
        return VoucherReason.VOUCHER_EXHAUSTED, f"Voucher {code} has been fully used."
    if v.per_customer_limit is not None:
        if ctx.customer.id is None:
            return (
                VoucherReason.VOUCHER_NEEDS_CUSTOMER,
                f"Voucher {code} is limited per customer; sign in or identify the customer.",
            )
        if v.used_by_customer >= v.per_customer_limit:
            return (
                VoucherReason.VOUCHER_CUSTOMER_LIMIT,
                f"You have already used voucher {code} {v.used_by_customer} time(s), "
                "the most allowed.",
            )
    return VoucherReason.ACCEPTED, f"Voucher {code} accepted."


def _static_reason(
    p: Promotion, ctx: QuoteContext, unlocked: Mapping[int, str]
) -> tuple[Reason, str] | None:
    """Why a promotion cannot apply to this context at all, or None."""
    if p.status is not PromotionStatus.ACTIVE:
        return Reason.INACTIVE, "The promotion has ended."
    if p.starts_at is not None and ctx.at < p.starts_at:
        return Reason.NOT_STARTED, f"Starts {p.starts_at.isoformat()}."
    if p.ends_at is not None and ctx.at >= p.ends_at:
        return Reason.ENDED, f"Ended {p.ends_at.isoformat()}."
    amount_based = p.kind in (
        PromotionKind.AMOUNT_OFF_ITEMS,
        PromotionKind.SPEND_GET_OFF,
        PromotionKind.BUNDLE_PRICE,
    )
    if (amount_based or p.threshold) and p.currency != ctx.currency:
        return Reason.WRONG_CURRENCY, f"Defined in {p.currency}, the cart is in {ctx.currency}."
    if p.channels and ctx.channel not in p.channels:
        names = ", ".join(sorted(c.value for c in p.channels))
        return Reason.OTHER_CHANNEL, f"Only in {names}; this is {ctx.channel.value}."
    if p.location_ids and ctx.location_id not in p.location_ids:
        return Reason.OTHER_STORE, "Only in selected stores."
    if p.personalised:
        c = ctx.customer
        if not (
            (c.id is not None and c.id in p.customer_ids)
            or (c.tier is not None and c.tier in p.tiers)
            or not p.segments.isdisjoint(c.segments)
        ):
            return Reason.NOT_FOR_CUSTOMER, "A personal offer for other customers."
    if p.voucher_only and p.id not in unlocked:
        return Reason.NEEDS_VOUCHER, "Needs a voucher code."
    return None


def _order_key(p: Promotion) -> tuple[int, int]:
    return (-p.priority, p.id)


def _pick(options: list[tuple[int, list[Promotion]]]) -> tuple[int, list[Promotion]]:
    """Most saving first; then the option holding the highest priority; then the lowest id."""
    return min(
        options,
        key=lambda o: (-o[0], min((_order_key(p) for p in o[1]), default=(0, 0))),
    )


# --- catalogue stage ---------------------------------------------------------------------


def _unit_off(p: Promotion, unit: int) -> int:
    if p.kind is PromotionKind.PERCENT_OFF_ITEMS:
        return min(unit, percent_of(unit, p.percent_bp))
    return min(unit, p.amount)


def _stack_units(stack: list[Promotion], unit: int) -> list[tuple[Promotion, int]]:
    out = []
    for p in stack:
        off = _unit_off(p, unit)
        out.append((p, off))
        unit -= off
    return out


def _catalogue_stage(
    lines: list[_Line],
    promos: list[Promotion],
    unlocked: Mapping[int, str],
    notes: dict[int, Consideration] | None,
) -> None:
    matched: set[int] = set()
    chosen: dict[int, int] = {}
    for line in lines:
        unit = line.entry.amount
        candidates = [p for p in promos if p.target.matches(line.cart.item)]
        matched.update(p.id for p in candidates)
        combinable = sorted((p for p in candidates if not p.exclusive), key=_order_key)
        options: list[tuple[int, list[Promotion]]] = [
            (_unit_off(p, unit), [p]) for p in candidates if p.exclusive
        ]
        if combinable:
            options.append((sum(o for _, o in _stack_units(combinable, unit)), combinable))
        line.catalogue = []
        line.shelf_unit = unit
        if not options:
            continue
        saving, picked = _pick(options)
        if saving <= 0:
            continue
        for p, off in _stack_units(picked, unit):
            if off <= 0:
                continue
            amount = off * line.cart.quantity
            line.catalogue.append(
                LineDiscount(p.id, p.name, p.kind, Stage.CATALOGUE, amount, unlocked.get(p.id))
            )
            chosen[p.id] = chosen.get(p.id, 0) + amount
        line.shelf_unit = unit - saving
    if notes is None:
        return
    for p in promos:
        if p.id in chosen:
            notes[p.id] = _note(p, Reason.APPLIED, "Applied.", unlocked, chosen[p.id])
        elif p.id not in matched:
            notes[p.id] = _note(
                p, Reason.NO_MATCHING_ITEMS, "No item in the cart qualifies.", unlocked
            )
        else:
            notes[p.id] = _note(
                p,
                Reason.BETTER_DEAL_CHOSEN,
                "Another promotion gives these items a bigger saving.",
                unlocked,
            )


def _note(
    p: Promotion, reason: Reason, message: str, unlocked: Mapping[int, str], discount: int = 0
) -> Consideration:
    return Consideration(
        p.id,
        p.name,
        p.kind,
        reason is Reason.APPLIED,
        reason,
        message,
        discount,
        unlocked.get(p.id),
    )


# --- order stage -------------------------------------------------------------------------


@dataclass(frozen=True)
class _OrderEffect:
    per_line: dict[int, int]  # line index -> discount
    shipping: int = 0
    reason: Reason = Reason.APPLIED
    message: str = "Applied."

    @property
    def total(self) -> int:
        return sum(self.per_line.values()) + self.shipping


def _spread(total: int, weights: dict[int, int]) -> dict[int, int]:
    keys = sorted(weights)
    shares = allocate(total, [weights[k] for k in keys])
    return {k: s for k, s in zip(keys, shares, strict=True) if s}


def _units(lines: list[_Line], idx: list[int]) -> list[tuple[int, int]]:
    """(unit shelf price, line index) per unit, most expensive first, stable by line."""
    units = [(lines[i].shelf_unit, i) for i in idx for _ in range(lines[i].cart.quantity)]
    return sorted(units, key=lambda u: (-u[0], u[1]))


def _order_effect(
    p: Promotion, lines: list[_Line], remaining: dict[int, int], shipping_left: int
) -> _OrderEffect:
    idx = [i for i, line in enumerate(lines) if p.target.matches(line.cart.item)]
    if not idx:
        return _OrderEffect(
            {}, reason=Reason.NO_MATCHING_ITEMS, message="No item in the cart qualifies."
        )
    spend = sum(lines[i].after_catalogue for i in idx)
    if spend < p.threshold:
        return _OrderEffect(
            {},
            reason=Reason.MIN_SPEND_NOT_MET,
            message=f"Spend {_rub(p.threshold - spend)} more on qualifying "
            f"items to get it (minimum {_rub(p.threshold)}).",
        )
    left = {i: remaining[i] for i in idx}
    available = sum(left.values())
    if p.kind is PromotionKind.FREE_SHIPPING:
        if shipping_left <= 0:
            return _OrderEffect({}, reason=Reason.NO_SAVING, message="No delivery charge to waive.")
        return _OrderEffect({}, shipping=shipping_left)
    if p.kind is PromotionKind.ORDER_PERCENT:
        return _OrderEffect(_spread(min(available, percent_of(available, p.percent_bp)), left))
    if p.kind is PromotionKind.SPEND_GET_OFF:
        return _OrderEffect(_spread(min(available, p.amount), left))
    units = _units(lines, idx)
    if p.kind is PromotionKind.BUY_X_GET_Y:
        group = p.buy_quantity + p.get_quantity
        free = (len(units) // group) * p.get_quantity
        if free == 0:
            return _OrderEffect(
                {},
                reason=Reason.NOT_ENOUGH_ITEMS,
                message=f"Add {group - len(units) % group} more qualifying "
                f"item(s): buy {p.buy_quantity}, get {p.get_quantity}.",
            )
        picked = units[len(units) - free :]  # the cheapest units
        discount = percent_of(sum(u for u, _ in picked), p.percent_bp)
    else:  # BUNDLE_PRICE: the most expensive units form the bundles (best for the customer)
        bundles = len(units) // p.buy_quantity
        if bundles == 0:
            return _OrderEffect(
                {},
                reason=Reason.NOT_ENOUGH_ITEMS,
                message=f"Add {p.buy_quantity - len(units)} more qualifying "
                f"item(s) for the bundle price.",
            )
        picked = units[: bundles * p.buy_quantity]
        discount = sum(u for u, _ in picked) - bundles * p.amount
        if discount <= 0:
            return _OrderEffect(
                {},
                reason=Reason.NO_SAVING,
                message="The items already cost less than the bundle price.",
            )
    weights: dict[int, int] = {}
    for unit, i in picked:
        weights[i] = weights.get(i, 0) + unit
    weights = {i: min(w, left[i]) for i, w in weights.items()}
    return _OrderEffect(_spread(min(discount, sum(weights.values())), weights))


def _run_order_option(
    stack: list[Promotion], lines: list[_Line], shipping: int
) -> tuple[int, list[tuple[Promotion, _OrderEffect]]]:
    remaining = {i: line.remaining for i, line in enumerate(lines)}
    shipping_left = shipping
    effects = []
    for p in stack:
        effect = _order_effect(p, lines, remaining, shipping_left)
        for i, amount in effect.per_line.items():
            remaining[i] -= amount
        shipping_left -= effect.shipping
        effects.append((p, effect))
    return sum(e.total for _, e in effects), effects


def _order_stage(
    lines: list[_Line],
    promos: list[Promotion],
    unlocked: Mapping[int, str],
    shipping: int,
    notes: dict[int, Consideration],
) -> int:
    runs: list[tuple[int, list[Promotion], list[tuple[Promotion, _OrderEffect]]]] = []
    for p in promos:
        if p.exclusive:
            total, effects = _run_order_option([p], lines, shipping)
            runs.append((total, [p], effects))
    combinable = sorted((p for p in promos if not p.exclusive), key=_order_key)
    if combinable:
        total, effects = _run_order_option(combinable, lines, shipping)
        runs.append((total, combinable, effects))
    if not runs:
        return 0
    best_total, best_members = _pick([(t, m) for t, m, _ in runs])
    best_effects = next(e for t, m, e in runs if m is best_members)
    shipping_discount = 0
    effects_of = {p.id: e for _, _, effects in runs for p, e in effects}
    for p, effect in best_effects:
        if effect.total <= 0:
            continue
        for i, amount in effect.per_line.items():
            lines[i].order.append(
                LineDiscount(p.id, p.name, p.kind, Stage.ORDER, amount, unlocked.get(p.id))
            )
        shipping_discount += effect.shipping
    chosen = {p.id for p, e in best_effects if e.total > 0}
    for p in promos:
        effect = effects_of[p.id]
        if p.id in chosen:
            notes[p.id] = _note(p, Reason.APPLIED, "Applied.", unlocked, effect.total)
        elif effect.reason is not Reason.APPLIED:
            notes[p.id] = _note(p, effect.reason, effect.message, unlocked)
        elif effect.total <= 0:
            notes[p.id] = _note(p, Reason.NO_SAVING, "Nothing left to discount.", unlocked)
        else:
            notes[p.id] = _note(
                p,
                Reason.BETTER_DEAL_CHOSEN,
                "Another promotion (or combination) saves you more.",
                unlocked,
            )
    del best_total
    return shipping_discount


# --- result ------------------------------------------------------------------------------


def _build_line(line: _Line, rate_of: Callable[[str], int]) -> QuoteLine:
    q = line.cart.quantity
    subtotal = line.entry.amount * q
    discounts = (*line.catalogue, *line.order)
    discount_total = sum(d.amount for d in discounts)
    total = subtotal - discount_total
    rate = rate_of(line.cart.item.tax_class)
    tax = included_tax(total, rate)
    compare_at = effective_compare_at(line.entry)
    if line.shelf_unit < line.entry.amount:
        compare_at = max(compare_at or 0, line.entry.amount)
    return QuoteLine(
        variant_id=line.cart.item.variant_id,
        sku=line.cart.item.sku,
        quantity=q,
        unit_price=line.entry.amount,
        compare_at=compare_at,
        shelf_unit_price=line.shelf_unit,
        subtotal=subtotal,
        discounts=discounts,
        discount_total=discount_total,
        total=total,
        tax_class=line.cart.item.tax_class,
        tax_rate_bp=rate,
        tax=tax,
        net=total - tax,
        price_id=line.entry.id,
    )


def _build(
    cart: Cart,
    lines: list[_Line],
    promos: list[Promotion],
    notes: dict[int, Consideration],
    outcomes: list[VoucherOutcome],
    shipping_discount: int,
    ctx: QuoteContext,
) -> Quote:
    rate_of: Callable[[str], int] = _rate_lookup(ctx)
    out = [_build_line(line, rate_of) for line in lines]
    shipping_net = cart.shipping - shipping_discount
    shipping_tax = included_tax(shipping_net, rate_of(STANDARD))
    order_part = sum(d.amount for line in lines for d in line.order)
    return Quote(
        currency=ctx.currency,
        channel=ctx.channel,
        lines=tuple(out),
        subtotal=sum(x.subtotal for x in out),
        discount_total=sum(x.discount_total for x in out),
        order_discount_total=order_part,
        shipping=cart.shipping,
        shipping_discount=shipping_discount,
        tax_total=sum(x.tax for x in out) + shipping_tax,
        total=sum(x.total for x in out) + shipping_net,
        considered=tuple(notes[p.id] for p in sorted(promos, key=_order_key) if p.id in notes),
        vouchers=tuple(outcomes),
    )


def _rate_lookup(ctx: QuoteContext) -> Callable[[str], int]:
    cache: dict[str, int] = {}

    def rate(tax_class: str) -> int:
        if tax_class not in cache:
            found = resolve_rate(
                ctx.tax_rates, tax_class=tax_class, country=ctx.country, region=ctx.region
            )
            cache[tax_class] = found.rate_bp if found is not None else 0
        return cache[tax_class]

    return rate


def shelf_prices(
    items: Sequence[Item],
    prices: Mapping[int, Sequence[PriceEntry]],
    promotions: Sequence[Promotion],
    context: QuoteContext,
) -> dict[int, QuoteLine]:
    """One unit of each item through the engine's resolution and catalogue stage (no vouchers,
    no order promotions): what product pages and shelf labels show, i.e. exactly the
    ``shelf_unit_price`` a quote gives the same item. Items without a price are absent.

    Batch form for catalog pages: the context checks run once per promotion, not per item."""
    catalogue = [p for p in promotions if p.is_catalogue and _static_reason(p, context, {}) is None]
    rate_of = _rate_lookup(context)
    out: dict[int, QuoteLine] = {}
    for item in items:
        entry = resolve_price(
            prices.get(item.variant_id, ()),
            currency=context.currency,
            channel=context.channel,
            at=context.at,
        )
        if entry is None:
            continue
        line = _Line(CartLine(item, 1), entry, shelf_unit=entry.amount)
        _catalogue_stage([line], catalogue, {}, notes=None)
        out[item.variant_id] = _build_line(line, rate_of)
    return out


def shelf_price(
    item: Item,
    entries: Sequence[PriceEntry],
    promotions: Sequence[Promotion],
    context: QuoteContext,
) -> QuoteLine | None:
    """``shelf_prices`` for one item."""
    return shelf_prices([item], {item.variant_id: entries}, promotions, context).get(
        item.variant_id
    )
