from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from api.runtime import Runtime
from domain.access.errors import AuthenticationFailed
from domain.shared.errors import MultipleErrors, ValidationFailed
from loyalty import services
from loyalty.errors import IdentifierTaken, QrTokenExpired, QrTokenInvalid, QrTokenReplaced
from loyalty.model import IdentifierKind, LookupMatch

SECRET = "integration-secret-0123456789-abcdefghijklmnop"


async def find(runtime: Runtime, identifier: str, **kw):
    async with runtime.session_factory() as session:
        return await services.lookup(session, identifier, secret=SECRET, **kw)


@pytest.mark.parametrize(
    "typed",
    ["8 (916) 123-45-67", "+7 916 1234567", "+7 (916) 123 45 67", "89161234567", "9161234567"],
)
async def test_lookup_finds_a_phone_typed_in_any_common_format(runtime, enrol, typed):
    customer = await enrol("8 916 123 45 67")
    found = await find(runtime, typed)
    assert (found.customer_id, found.matched, found.normalized) == (
        customer,
        LookupMatch.PHONE,
        "+79161234567",
    )


async def test_lookup_finds_by_card_email_and_external_id(runtime, enrol, scalar):
    customer = await enrol("+7 916 200-00-01", card_number="2990000000019")
    await services.add_identifier(
        runtime.uow(), customer, kind=IdentifierKind.EMAIL, value="Anna@Example.ru", verified=False
    )
    await services.add_identifier(
        runtime.uow(), customer, kind=IdentifierKind.EXTERNAL, value="crm:A-1042", verified=True
    )
    for typed, matched in [
        ("2990000000019", LookupMatch.CARD),
        ("299 0000 0000 19", LookupMatch.CARD),
        ("ANNA@example.RU", LookupMatch.EMAIL),
        ("crm:A-1042", LookupMatch.EXTERNAL),
    ]:
        found = await find(runtime, typed)
        assert (found.customer_id, found.matched) == (customer, matched), typed


async def test_an_unknown_identifier_is_not_found_and_garbage_is_an_error(runtime, enrol):
    await enrol("+7 916 200-00-02")
    missing = await find(runtime, "+7 916 999-99-99")
    assert (missing.customer_id, missing.matched, missing.normalized) == (
        None,
        None,
        "+79169999999",
    )
    with pytest.raises(ValidationFailed):
        await find(runtime, "not a customer")


async def test_lookup_by_app_qr_code_until_it_expires_or_is_replaced(runtime, enrol):
    customer = await enrol("+7 916 200-00-03")
    now = datetime.now(UTC)
    token, expires_at = await services.issue_qr_token(
        runtime.uow(), customer, secret=SECRET, ttl_seconds=300, now=now
    )
    assert expires_at == int(now.timestamp()) + 300
    found = await find(runtime, token, now=now + timedelta(seconds=299))
    assert (found.customer_id, found.matched) == (customer, LookupMatch.QR_TOKEN)
    with pytest.raises(QrTokenExpired) as err:
        await find(runtime, token, now=now + timedelta(seconds=300))
    assert err.value.field == "identifier" and err.value.code == "QR_TOKEN_EXPIRED"
    newer, _ = await services.issue_qr_token(runtime.uow(), customer, secret=SECRET, now=now)
    with pytest.raises(QrTokenReplaced):
        await find(runtime, token, now=now)
    assert (await find(runtime, newer, now=now)).customer_id == customer
    async with runtime.session_factory() as session:
        with pytest.raises(QrTokenInvalid):
            await services.lookup(session, newer, secret="another-secret", now=now)


async def test_enrolling_a_phone_twice_is_refused_and_creates_nothing(runtime, enrol, scalar):
    await enrol("+7 916 200-00-04")
    with pytest.raises(IdentifierTaken) as err:
        await enrol("8 (916) 200-00-04", first_name="Дубль")
    assert err.value.field == "phone"
    assert await scalar("SELECT count(*) FROM customers") == 1
    assert await scalar("SELECT count(*) FROM customer_identifiers") == 2  # phone + card
    assert await scalar("SELECT count(*) FROM loyalty_accounts") == 1


async def test_two_tills_enrolling_one_phone_at_once_make_one_customer(runtime, enrol, scalar):
    outcomes = await asyncio.gather(
        *(enrol("+7 916 200-00-05") for _ in range(5)), return_exceptions=True
    )
    assert sum(isinstance(o, int) for o in outcomes) == 1
    assert sum(isinstance(o, IdentifierTaken) for o in outcomes) == 4
    assert await scalar("SELECT count(*) FROM customers") == 1


async def test_sign_up_issues_a_card_and_sign_in_accepts_email_or_phone(runtime, scalar):
    customer = await services.sign_up(
        runtime.uow(),
        email="Ivan@Example.ru",
        password="long-enough-pw",
        first_name="Иван",
        phone="8 (903) 555-12-34",
        channel="WEB",
    )
    kinds = await scalar(
        "SELECT string_agg(kind::text, ',' ORDER BY kind) FROM customer_identifiers "
        "WHERE customer_id = :c",
        c=customer,
    )
    assert kinds == "EMAIL,PHONE,CARD"
    async with runtime.session_factory() as session:
        for identifier in ["ivan@example.ru", "+7 903 555 12 34"]:
            signed = await services.sign_in(
                session,
                identifier=identifier,
                password="long-enough-pw",
                secret=SECRET,
                ttl_seconds=60,
            )
            assert signed.customer_id == customer
        with pytest.raises(AuthenticationFailed):
            await services.sign_in(
                session,
                identifier="ivan@example.ru",
                password="wrong-password",
                secret=SECRET,
                ttl_seconds=60,
            )


async def test_sign_up_reports_every_bad_field_at_once_and_writes_nothing(runtime, scalar):
    with pytest.raises(MultipleErrors) as err:
        await services.sign_up(
            runtime.uow(),
            email="nope",
            password="short",
            first_name=" ",
            phone="12",
            channel="WEB",
        )
    fields = sorted(str(e.field) for e in err.value.errors)
    assert fields == ["email", "firstName", "password", "phone"]
    assert await scalar("SELECT count(*) FROM customers") == 0
