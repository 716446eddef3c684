"""Fulfillment mutations: the store's work steps and sourcing profiles. Every work step takes
an idempotencyKey (a replay returns the first answer); a step that does not fit the current
status is a userError INVALID_TRANSITION naming the status, and nothing changes."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.auth import allow
from api.errors import UserError, payload_or_errors
from api.fulfillment.access import may_act
from api.fulfillment.types import FulfillmentOrderType, SourcingCriterion, SourcingProfile
from api.mutations import idempotent
from api.relay import decode_id, encode_id
from api.visibility import resolve_visible
from domain.access.model import Role
from domain.shared.errors import ValidationFailed
from domain.shared.uow import UnitOfWork
from fulfillment.services import fulfillment_reads as reads
from fulfillment.services import fulfillment_work as work
from fulfillment.services import profiles, rerouting

WORK_ROLES = allow(Role.CASHIER, Role.STORE_MANAGER, Role.WAREHOUSE)
PROFILE_ROLES = allow(Role.MERCHANDISER)


def _payload(name: str) -> type:
    @strawberry.type(name=name)
    class Payload:
        user_errors: list[UserError]
        fulfillment_order: FulfillmentOrderType | None = None

    Payload.__name__ = name
    return Payload


FulfillmentOrderStartPayload = _payload("FulfillmentOrderStartPayload")
FulfillmentOrderMarkReadyPayload = _payload("FulfillmentOrderMarkReadyPayload")
FulfillmentOrderShipPayload = _payload("FulfillmentOrderShipPayload")
FulfillmentOrderDeliverPayload = _payload("FulfillmentOrderDeliverPayload")
FulfillmentOrderPickUpPayload = _payload("FulfillmentOrderPickUpPayload")
PickupCodeUnlockPayload = _payload("PickupCodeUnlockPayload")


@strawberry.type
class FulfillmentOrderRejectPayload:
    user_errors: list[UserError]
    fulfillment_order: FulfillmentOrderType | None = None
    replacements: list[FulfillmentOrderType] | None = strawberry.field(
        default=None, description="Where the work went (empty: nobody had it; cancelled)."
    )
    cancelled_quantity: int | None = strawberry.field(
        default=None, description="Units nobody could take: cancelled and refunded."
    )


@strawberry.input
class FulfillmentOrderStartInput:
    fulfillment_order_id: relay.GlobalID
    idempotency_key: str | None = None


@strawberry.input
class FulfillmentOrderMarkReadyInput:
    fulfillment_order_id: relay.GlobalID
    idempotency_key: str | None = None


@strawberry.input
class FulfillmentOrderShipInput:
    fulfillment_order_id: relay.GlobalID
    carrier: str | None = strawberry.field(default=None, description="Required for SHIP.")
    tracking_number: str | None = strawberry.field(default=None, description="Required for SHIP.")
    idempotency_key: str | None = None


@strawberry.input
class FulfillmentOrderDeliverInput:
    fulfillment_order_id: relay.GlobalID
    idempotency_key: str | None = None


@strawberry.input
class FulfillmentOrderPickUpInput:
    fulfillment_order_id: relay.GlobalID
    code: str = strawberry.field(description="The pickup code from the customer's app.")
    idempotency_key: str | None = None


@strawberry.input
class PickupCodeUnlockInput:
    fulfillment_order_id: relay.GlobalID
    idempotency_key: str | None = None


@strawberry.input
class FulfillmentOrderRejectInput:
    fulfillment_order_id: relay.GlobalID
    reason: str
    idempotency_key: str | None = None


@strawberry.input(description="Omitted fields take the defaults shown in sourcingProfile.")
class SourcingRulesInput:
    criteria: list[SourcingCriterion] | None = None
    prefer_single_location: bool | None = None
    max_splits: int | None = None
    allow_transfers: bool | None = None
    transfer_lead_minutes: int | None = None
    ship_lead_minutes: int | None = None
    max_distance_km: float | None = None
    pickup_window_days: int | None = None


@strawberry.input
class SourcingProfileCreateInput:
    name: str
    rules: SourcingRulesInput
    activate: bool = False
    idempotency_key: str | None = None


@strawberry.input
class SourcingProfileActivateInput:
    version: int
    idempotency_key: str | None = None


@strawberry.type
class SourcingProfileCreatePayload:
    user_errors: list[UserError]
    profile: SourcingProfile | None = None


@strawberry.type
class SourcingProfileActivatePayload:
    user_errors: list[UserError]
    profile: SourcingProfile | None = None


async def _sees_fulfillment_order(info: Info, response: dict[str, Any]) -> bool:
    """A replayed step is handed back only to who may see the fulfillment order now."""
    gid = encode_id("FulfillmentOrder", int(response["id"]))
    return await resolve_visible(info, gid) is not None


async def _fo(info: Info, fo_id: int) -> FulfillmentOrderType | None:
    # read after the write (a loader may hold the row as it was before the step)
    async with info.context.read() as session:
        row = (await reads.fulfillment_orders_by_ids(session, [fo_id])).get(fo_id)
    return FulfillmentOrderType.from_row(row) if row is not None else None


async def _step(
    info: Info,
    payload_cls: type,
    *,
    operation: str,
    gid: relay.GlobalID,
    key: str | None,
    request: dict[str, Any],
    act: Callable[[UnitOfWork, int], Awaitable[dict[str, Any] | None]],
) -> Any:
    async def run() -> Any:
        fo_id = decode_id(gid, "FulfillmentOrder", field="fulfillmentOrderId")

        async def execute(uow: UnitOfWork) -> dict[str, Any]:
            extra = await act(uow, fo_id)
            return {"id": fo_id, **(extra or {})}

        out = await idempotent(
            info,
            operation=operation,
            key=key,
            request={"id": fo_id, **request},
            execute=execute,
            may_replay=_sees_fulfillment_order,
        )
        fields: dict[str, Any] = {"user_errors": [], "fulfillment_order": await _fo(info, fo_id)}
        if "replacements" in out:
            fields["replacements"] = [
                fo for fo in [await _fo(info, i) for i in out["replacements"]] if fo is not None
            ]
            fields["cancelled_quantity"] = out["cancelled"]
        return payload_cls(**fields)

    return await payload_or_errors(payload_cls, run)


def _actor(info: Info) -> str:
    return str(info.context.principal.actor)


async def _work(
    info: Info,
    payload_cls: type,
    operation: str,
    input: Any,
    step: Callable[..., Awaitable[Any]],
    **params: Any,
) -> Any:
    """A store work step (``fulfillment_work``) on one fulfillment order, exactly once."""

    async def act(uow: UnitOfWork, fo_id: int) -> None:
        await step(
            uow,
            fulfillment_order_id=fo_id,
            actor=_actor(info),
            may_act=may_act(info.context.principal),
            **params,
        )

    return await _step(
        info,
        payload_cls,
        operation=operation,
        gid=input.fulfillment_order_id,
        key=input.idempotency_key,
        request=params,
        act=act,
    )


@strawberry.type
class FulfillmentMutation:
    @strawberry.mutation(
        permission_classes=[WORK_ROLES], description="OPEN -> IN_PROGRESS: picking started."
    )
    async def fulfillment_order_start(
        self, info: Info, input: FulfillmentOrderStartInput
    ) -> FulfillmentOrderStartPayload:  # type: ignore[valid-type]
        return await _work(
            info, FulfillmentOrderStartPayload, "fulfillmentOrderStart", input, work.start
        )

    @strawberry.mutation(
        permission_classes=[WORK_ROLES],
        description="PICKUP: the goods are on the pickup shelf (a transfer: they arrived and "
        "are received). Issues the pickup code for the customer's app and the pickup deadline.",
    )
    async def fulfillment_order_mark_ready(
        self, info: Info, input: FulfillmentOrderMarkReadyInput
    ) -> FulfillmentOrderMarkReadyPayload:  # type: ignore[valid-type]
        return await _work(
            info,
            FulfillmentOrderMarkReadyPayload,
            "fulfillmentOrderMarkReady",
            input,
            work.mark_ready,
        )

    @strawberry.mutation(
        permission_classes=[WORK_ROLES],
        description="SHIP: the parcel leaves (carrier and tracking number required). A "
        "transfer pickup: the goods leave for the pickup store.",
    )
    async def fulfillment_order_ship(
        self, info: Info, input: FulfillmentOrderShipInput
    ) -> FulfillmentOrderShipPayload:  # type: ignore[valid-type]
        return await _work(
            info,
            FulfillmentOrderShipPayload,
            "fulfillmentOrderShip",
            input,
            work.ship,
            carrier=input.carrier,
            tracking_number=input.tracking_number,
        )

    @strawberry.mutation(
        permission_classes=[WORK_ROLES], description="SHIPPED -> DELIVERED (carrier confirmed)."
    )
    async def fulfillment_order_deliver(
        self, info: Info, input: FulfillmentOrderDeliverInput
    ) -> FulfillmentOrderDeliverPayload:  # type: ignore[valid-type]
        return await _work(
            info, FulfillmentOrderDeliverPayload, "fulfillmentOrderDeliver", input, work.deliver
        )

    @strawberry.mutation(
        permission_classes=[WORK_ROLES],
        description="READY_FOR_PICKUP -> PICKED_UP with the code from the customer's app. A "
        "wrong code: userError PICKUP_CODE_INVALID, nothing changes but the count of tries; "
        "after PICKUP_CODE_MAX_ATTEMPTS tries (default 5) the code is locked "
        "(PICKUP_CODE_LOCKED, even for the right code) until a store manager releases it "
        "with pickupCodeUnlock.",
    )
    async def fulfillment_order_pick_up(
        self, info: Info, input: FulfillmentOrderPickUpInput
    ) -> FulfillmentOrderPickUpPayload:  # type: ignore[valid-type]
        max_attempts = info.context.settings.pickup_code_max_attempts

        async def run() -> Any:
            fo_id = decode_id(
                input.fulfillment_order_id, "FulfillmentOrder", field="fulfillmentOrderId"
            )
            # counted in its own transaction first: the pick-up's rollback keeps the count
            await work.take_pickup_attempt(
                info.context.uow(),
                fulfillment_order_id=fo_id,
                max_attempts=max_attempts,
                may_act=may_act(info.context.principal),
            )
            return await _work(
                info,
                FulfillmentOrderPickUpPayload,
                "fulfillmentOrderPickUp",
                input,
                # the limit is configuration, not part of the request a replay must repeat
                functools.partial(work.pick_up, max_attempts=max_attempts),
                code=input.code,
            )

        return await payload_or_errors(FulfillmentOrderPickUpPayload, run)  # type: ignore[no-any-return]

    @strawberry.mutation(
        permission_classes=[allow(Role.STORE_MANAGER)],
        description="Release a pickup code locked by wrong tries (store manager of the pickup "
        "store, or admin), after checking the customer's ID: the count of tries starts again; "
        "the code stays the one in the customer's app.",
    )
    async def pickup_code_unlock(
        self, info: Info, input: PickupCodeUnlockInput
    ) -> PickupCodeUnlockPayload:  # type: ignore[valid-type]
        return await _work(
            info, PickupCodeUnlockPayload, "pickupCodeUnlock", input, work.unlock_pickup_code
        )

    @strawberry.mutation(
        permission_classes=[WORK_ROLES],
        description="The location cannot fulfil it: its stock is released and the lines are "
        "routed again elsewhere at once (new fulfillment orders); units nobody has are "
        "cancelled and refunded.",
    )
    async def fulfillment_order_reject(
        self, info: Info, input: FulfillmentOrderRejectInput
    ) -> FulfillmentOrderRejectPayload:
        async def act(uow: UnitOfWork, fo_id: int) -> dict[str, Any]:
            result = await rerouting.reject(
                uow,
                fulfillment_order_id=fo_id,
                reason=input.reason,
                actor=_actor(info),
                may_act=may_act(info.context.principal),
            )
            return {
                "replacements": list(result.new_fulfillment_order_ids),
                "cancelled": sum(result.cancelled.values()),
            }

        return await _step(  # type: ignore[no-any-return]
            info,
            FulfillmentOrderRejectPayload,
            operation="fulfillmentOrderReject",
            gid=input.fulfillment_order_id,
            key=input.idempotency_key,
            request={"reason": input.reason},
            act=act,
        )

    @strawberry.mutation(
        permission_classes=[PROFILE_ROLES],
        description="Write a new sourcing profile version (optionally active at once). "
        "Versions never change; orders record the version that routed them.",
    )
    async def sourcing_profile_create(
        self, info: Info, input: SourcingProfileCreateInput
    ) -> SourcingProfileCreatePayload:
        async def run() -> SourcingProfileCreatePayload:
            rules = {
                k: v
                for k, v in {
                    "criteria": [str(c.value) for c in input.rules.criteria]
                    if input.rules.criteria is not None
                    else None,
                    "prefer_single_location": input.rules.prefer_single_location,
                    "max_splits": input.rules.max_splits,
                    "allow_transfers": input.rules.allow_transfers,
                    "transfer_lead_minutes": input.rules.transfer_lead_minutes,
                    "ship_lead_minutes": input.rules.ship_lead_minutes,
                    "max_distance_km": input.rules.max_distance_km,
                    "pickup_window_days": input.rules.pickup_window_days,
                }.items()
                if v is not None
            }

            async def execute(uow: UnitOfWork) -> dict[str, Any]:
                version = await profiles.create_profile(
                    uow,
                    name=input.name,
                    rules=rules,
                    actor=_actor(info),
                    activate=input.activate,
                )
                return {"version": version}

            out = await idempotent(
                info,
                operation="sourcingProfileCreate",
                key=input.idempotency_key,
                request={"name": input.name, "rules": rules, "activate": input.activate},
                execute=execute,
            )
            return SourcingProfileCreatePayload(
                user_errors=[], profile=await _profile(info, out["version"])
            )

        return await payload_or_errors(SourcingProfileCreatePayload, run)

    @strawberry.mutation(
        permission_classes=[PROFILE_ROLES],
        description="Route new orders with this version from now on.",
    )
    async def sourcing_profile_activate(
        self, info: Info, input: SourcingProfileActivateInput
    ) -> SourcingProfileActivatePayload:
        async def run() -> SourcingProfileActivatePayload:
            if input.version <= 0:
                raise ValidationFailed("Versions start at 1.", field="version")

            async def execute(uow: UnitOfWork) -> dict[str, Any]:
                await profiles.activate_profile(uow, version=input.version, actor=_actor(info))
                return {"version": input.version}

            await idempotent(
                info,
                operation="sourcingProfileActivate",
                key=input.idempotency_key,
                request={"version": input.version},
                execute=execute,
            )
            return SourcingProfileActivatePayload(
                user_errors=[], profile=await _profile(info, input.version)
            )

        return await payload_or_errors(SourcingProfileActivatePayload, run)


async def _profile(info: Info, version: int) -> SourcingProfile | None:
    async with info.context.read() as session:
        row = (await profiles.profile_rows_by_versions(session, [version])).get(version)
    return SourcingProfile.from_row(row) if row is not None else None
