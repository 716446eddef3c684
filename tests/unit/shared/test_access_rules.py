from __future__ import annotations

import pytest

from domain.access.errors import InvalidToken
from domain.access.model import Channel, Principal, PrincipalKind, Role
from domain.access.tokens import issue_token, verify_token

SECRET = "unit-test-secret-that-is-long-enough-0001"


def test_store_roles_act_only_at_their_locations_and_head_office_roles_everywhere():
    cashier = Principal(kind=PrincipalKind.STAFF, role=Role.CASHIER, location_ids=frozenset({3}))
    merch = Principal(kind=PrincipalKind.STAFF, role=Role.MERCHANDISER)
    customer = Principal(kind=PrincipalKind.CUSTOMER, role=Role.CUSTOMER, customer_id=9)
    assert cashier.can_act_at(3) and not cashier.can_act_at(4)
    assert merch.can_act_at(4)
    assert not customer.can_act_at(3)


def test_idempotency_scope_prefers_the_client_key():
    assert Principal(api_key_id=5, staff_user_id=2).idempotency_scope == "key:5"
    assert Principal(staff_user_id=2).idempotency_scope == "staff:2"
    assert Principal(customer_id=7).idempotency_scope == "customer:7"


def test_idempotency_keys_belong_to_the_acting_principal_not_the_shared_client_key():
    web = Principal(api_key_id=5)
    assert Principal(api_key_id=5, staff_user_id=2).idempotency_owner() == "staff:2"
    assert Principal(api_key_id=5, customer_id=7).idempotency_owner() == "customer:7"
    shoppers = {web.idempotency_owner(secret=t) for t in ("cart-token-a", "cart-token-b")}
    assert len(shoppers) == 2 and all(s.startswith("key:5:cart:") for s in shoppers)
    assert all("cart-token" not in s for s in shoppers)  # the token itself is never stored
    in_a_session = Principal(api_key_id=5, session_id="browser-1")
    assert in_a_session.idempotency_owner(secret="t") != web.idempotency_owner(secret="t")
    assert web.idempotency_owner() == "key:5"
    till = Principal(api_key_id=9, channel=Channel.POS, client_location_id=3)
    assert till.idempotency_owner() == "till:3:9"
    for cashier in (2, 4):  # a change of shift at the till keeps its keys
        signed_in = Principal(
            kind=PrincipalKind.STAFF,
            role=Role.CASHIER,
            channel=Channel.POS,
            api_key_id=9,
            client_location_id=3,
            staff_user_id=cashier,
        )
        assert signed_in.idempotency_owner() == "till:3:9"
    assert (
        len(Principal(api_key_id=5, session_id="s" * 100).idempotency_owner(secret="t" * 64)) < 120
    )


def test_tokens_round_trip_and_expire():
    token, _ = issue_token(
        secret=SECRET,
        kind=PrincipalKind.CUSTOMER,
        subject_id=11,
        role=Role.CUSTOMER,
        ttl_seconds=60,
    )
    claims = verify_token(token, secret=SECRET)
    assert (claims.kind, claims.subject_id, claims.role) == (
        PrincipalKind.CUSTOMER,
        11,
        Role.CUSTOMER,
    )
    old, _ = issue_token(
        secret=SECRET, kind=PrincipalKind.STAFF, subject_id=1, role=Role.ADMIN, ttl_seconds=-1
    )
    with pytest.raises(InvalidToken, match="expired"):
        verify_token(old, secret=SECRET)
    with pytest.raises(InvalidToken, match="not valid"):
        verify_token(token + "x", secret=SECRET)


def test_a_short_secret_key_is_refused_with_a_way_out():
    from pydantic import ValidationError

    from domain.shared.settings import Settings

    with pytest.raises(ValidationError, match="SECRET_KEY must be at least 32 characters"):
        Settings(secret_key="too-short")
    assert Settings(secret_key="k" * 32).resolved_secret_key() == "k" * 32
