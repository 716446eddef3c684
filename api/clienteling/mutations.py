"""Clienteling mutations: interactions in batches, the session join on sign-in, the
personalisation switch, and consultations (accept, start, ratings on behalf, close)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.auth import SignedInCustomer, allow
from api.clienteling.inputs import (
    AttributeRatingInput,
    ConsultationAcceptInput,
    ConsultationCloseInput,
    ConsultationPayload,
    ConsultationRatingsRecordInput,
    ConsultationRatingsRecordPayload,
    ConsultationStartInput,
    CustomerPersonalisationSetInput,
    CustomerPersonalisationSetPayload,
    InteractionInput,
    InteractionsRecordInput,
    InteractionsRecordPayload,
    InteractionsSessionJoinInput,
    InteractionsSessionJoinPayload,
)
from api.clienteling.types import load_consultation
from api.errors import payload_or_errors
from api.relay import decode_id
from domain.access.model import Principal, Role
from domain.shared.clock import utcnow as _now
from domain.shared.errors import Forbidden, ValidationFailed
from loyalty.clienteling import model, services

CONSULTANTS = allow(Role.CASHIER, Role.STORE_MANAGER)


def _scores(items: list[AttributeRatingInput] | None) -> tuple[model.AttributeScore, ...]:
    return tuple(
        model.AttributeScore(
            i.attribute.strip(),
            i.score,
            model.Direction(i.direction.value) if i.direction else None,
            (i.comment or "").strip(),
        )
        for i in items or []
    )


def _event(n: int, i: InteractionInput, now: datetime) -> services.EventIn:
    prefix = f"events[{n}]"
    return services.EventIn(
        model.Interaction(
            id=0,
            type=model.InteractionType(i.type.value),
            occurred_at=i.occurred_at or now,
            product_id=decode_id(i.product_id, "Product", field=f"{prefix}.productId")
            if i.product_id
            else None,
            product_ids=tuple(
                decode_id(p, "Product", field=f"{prefix}.productIds") for p in i.product_ids or []
            ),
            location_id=decode_id(i.location_id, "Location", field=f"{prefix}.locationId")
            if i.location_id
            else None,
            query=i.query,
            filters=tuple(
                model.AttributeFilter(f.attribute.strip(), f.min, f.max, f.equals)
                for f in i.filters or []
            ),
            brands=tuple(b.strip() for b in i.brands or [] if b.strip()),
            price_min=i.price_min,
            price_max=i.price_max,
            ratings=_scores(i.ratings),
            comment=i.comment,
        ),
        client_event_id=i.client_event_id,
        variant_id=decode_id(i.variant_id, "Variant", field=f"{prefix}.variantId")
        if i.variant_id
        else None,
    )


def _who(principal: Principal, customer_gid: relay.GlobalID | None) -> tuple[int | None, str]:
    """(customer the events are about, origin for replay detection)."""
    if principal.customer_id is not None:
        if customer_gid is not None and (
            decode_id(customer_gid, "Customer", field="customerId") != principal.customer_id
        ):
            raise Forbidden("You can record your own interactions only.", field="customerId")
        return principal.customer_id, f"customer:{principal.customer_id}"
    if principal.is_staff:
        if customer_gid is None:
            raise ValidationFailed(
                "Staff record for a customer: give customerId.", field="customerId"
            )
        customer_id = decode_id(customer_gid, "Customer", field="customerId")
        # Replays are detected per staff member AND customer: a consultant's device counts its
        # events from "1" for every customer it serves.
        return customer_id, f"staff:{principal.staff_user_id}/customer:{customer_id}"
    if customer_gid is not None:
        raise Forbidden("Sign in to record interactions for a customer.", field="customerId")
    return None, ""


@strawberry.type
class ClientelingMutation:
    @strawberry.mutation(
        description="Record a batch of interactions from web, app or store (anonymous with a "
        "session id, signed in, or staff on a customer's behalf). All or nothing on bad input; "
        "replayed clientEventIds are counted as duplicates. Check-ins and consultant requests "
        "reach the store's staff devices (storeActivity)."
    )
    async def interactions_record(
        self, info: Info, input: InteractionsRecordInput
    ) -> InteractionsRecordPayload:
        async def run() -> InteractionsRecordPayload:
            principal: Principal = info.context.principal
            now = _now()
            customer_id, origin = _who(principal, input.customer_id)
            session_id = (input.session_id or principal.session_id or "").strip()[:100] or None
            if len(input.events) > model.MAX_BATCH:
                raise ValidationFailed(
                    f"At most {model.MAX_BATCH} events per batch; send the rest in another call.",
                    field="events",
                )
            events = [_event(n, e, now) for n, e in enumerate(input.events)]
            if principal.is_staff:
                for n, e in enumerate(events):
                    loc = e.event.location_id
                    if loc is not None and not principal.can_act_at(loc):
                        raise Forbidden(
                            "Record events of your own store only.", field=f"events[{n}].locationId"
                        )
            if not origin:
                origin = f"session:{session_id}"
            result = await services.record_interactions(
                info.context.uow(),
                events=events,
                customer_id=customer_id,
                session_id=session_id,
                origin=origin,
                channel=principal.channel.value,
                actor=principal.actor,
                now=now,
            )
            consultations = [await load_consultation(info, c) for c in result.consultation_ids]
            return InteractionsRecordPayload(
                user_errors=[],
                recorded=len(result.interaction_ids),
                duplicates=result.duplicates,
                skipped=result.skipped,
                joined=result.joined,
                consultations=[c for c in consultations if c is not None],
            )

        return await payload_or_errors(InteractionsRecordPayload, run)

    @strawberry.mutation(
        permission_classes=[SignedInCustomer],
        description="After sign-in: the anonymous session's interactions become the customer's "
        "(interactionsRecord does the same when it gets both).",
    )
    async def interactions_session_join(
        self, info: Info, input: InteractionsSessionJoinInput | None = None
    ) -> InteractionsSessionJoinPayload:
        async def run() -> InteractionsSessionJoinPayload:
            principal: Principal = info.context.principal
            session_id = (
                (input.session_id if input else None) or principal.session_id or ""
            ).strip()
            if not session_id:
                raise ValidationFailed(
                    "Give sessionId or send the X-Session-Id header.", field="sessionId"
                )
            uow = info.context.uow()
            async with uow:
                joined = await services.join_session(
                    uow.session, customer_id=principal.customer_id, session_id=session_id[:100]
                )
                await uow.commit()
            return InteractionsSessionJoinPayload(user_errors=[], joined=joined)

        return await payload_or_errors(InteractionsSessionJoinPayload, run)

    @strawberry.mutation(
        permission_classes=[allow(Role.CUSTOMER, Role.CASHIER, Role.STORE_MANAGER)],
        description="Personalisation on or off. Off: staff see no behavioural data, "
        "recommendations are not personal, behavioural events are no longer kept.",
    )
    async def customer_personalisation_set(
        self, info: Info, input: CustomerPersonalisationSetInput
    ) -> CustomerPersonalisationSetPayload:
        async def run() -> CustomerPersonalisationSetPayload:
            principal: Principal = info.context.principal
            customer_id, _ = _who(principal, input.customer_id)
            assert customer_id is not None
            enabled = await services.set_personalisation(
                info.context.uow(), customer_id=customer_id, enabled=input.enabled,
                source=principal.actor,
            )  # fmt: skip
            return CustomerPersonalisationSetPayload(user_errors=[], enabled=enabled)

        return await payload_or_errors(CustomerPersonalisationSetPayload, run)

    @strawberry.mutation(
        permission_classes=[CONSULTANTS],
        description="Take a customer's request from your store's queue. If a colleague was "
        "faster, userErrors says so (CONFLICT).",
    )
    async def consultation_accept(
        self, info: Info, input: ConsultationAcceptInput
    ) -> ConsultationPayload:
        async def run() -> ConsultationPayload:
            cid = decode_id(input.consultation_id, "Consultation", field="consultationId")
            change = await services.accept_consultation(
                info.context.uow(), consultation_id=cid, principal=info.context.principal
            )
            return await _consultation(info, change)

        return await payload_or_errors(ConsultationPayload, run)

    @strawberry.mutation(
        permission_classes=[CONSULTANTS],
        description="Start a consultation with a customer in your store who did not call "
        "through the app (their waiting request, if any, is accepted instead).",
    )
    async def consultation_start(
        self, info: Info, input: ConsultationStartInput
    ) -> ConsultationPayload:
        async def run() -> ConsultationPayload:
            change = await services.start_consultation(
                info.context.uow(),
                customer_id=decode_id(input.customer_id, "Customer", field="customerId"),
                location_id=decode_id(input.location_id, "Location", field="locationId"),
                principal=info.context.principal,
            )
            return await _consultation(info, change)

        return await payload_or_errors(ConsultationPayload, run)

    @strawberry.mutation(
        permission_classes=[CONSULTANTS],
        description="Record what the customer said about the models they tried, per "
        "attribute (bass 2/5 'too weak', comfort 5/5), on the consultation.",
    )
    async def consultation_ratings_record(
        self, info: Info, input: ConsultationRatingsRecordInput
    ) -> ConsultationRatingsRecordPayload:
        async def run() -> ConsultationRatingsRecordPayload:
            cid = decode_id(input.consultation_id, "Consultation", field="consultationId")
            ratings = [
                services.RatingIn(
                    product_id=decode_id(r.product_id, "Product", field=f"ratings[{n}].productId"),
                    scores=_scores(r.scores),
                    comment=r.comment,
                    variant_id=decode_id(r.variant_id, "Variant", field=f"ratings[{n}].variantId")
                    if r.variant_id
                    else None,
                    client_event_id=r.client_event_id,
                )
                for n, r in enumerate(input.ratings)
            ]
            result = await services.record_ratings(
                info.context.uow(),
                consultation_id=cid,
                ratings=ratings,
                principal=info.context.principal,
                channel=info.context.principal.channel.value,
            )
            return ConsultationRatingsRecordPayload(
                user_errors=[],
                recorded=len(result.interaction_ids),
                duplicates=result.duplicates,
                skipped=result.skipped,
                consultation=await load_consultation(info, cid),
            )

        return await payload_or_errors(ConsultationRatingsRecordPayload, run)

    @strawberry.mutation(permission_classes=[CONSULTANTS], description="End a consultation.")
    async def consultation_close(
        self, info: Info, input: ConsultationCloseInput
    ) -> ConsultationPayload:
        async def run() -> ConsultationPayload:
            change = await services.close_consultation(
                info.context.uow(),
                consultation_id=decode_id(
                    input.consultation_id, "Consultation", field="consultationId"
                ),
                principal=info.context.principal,
                summary=input.summary,
            )
            return await _consultation(info, change)

        return await payload_or_errors(ConsultationPayload, run)


async def _consultation(info: Info, change: services.ConsultationChange) -> ConsultationPayload:
    return ConsultationPayload(
        user_errors=[],
        consultation=await load_consultation(info, change.consultation_id),
        replayed=change.replayed,
    )


__all__: list[Any] = ["ClientelingMutation"]
