"""Pricing through GraphQL: quotes, merchandiser mutations, failure paths, permissions."""

from __future__ import annotations

from sqlalchemy import func, select, text

from api.relay import encode_id
from api.runtime import Runtime
from domain.access.model import Role
from domain.pricing.tables import PriceRow, PromotionRow, VoucherRow
from tests.integration.pricing.conftest import Catalog

PRICES_SET = """mutation($input: PricesSetInput!) { pricesSet(input: $input) {
  userErrors { code field message } prices { id sku: variantId price { amount currency }
  compareAt { amount } channels } } }"""
PROMO_CREATE = """mutation($input: PromotionCreateInput!) { promotionCreate(input: $input) {
  userErrors { code field message } promotion { id name kind percent status
  target { categoryIds variantIds } } } }"""
PROMO_UPDATE = """mutation($input: PromotionUpdateInput!) { promotionUpdate(input: $input) {
  userErrors { code field message } promotion { id name percent priority } } }"""
PROMO_END = """mutation($id: ID!) { promotionEnd(input: {id: $id}) {
  userErrors { code field } promotion { status } } }"""
VOUCHER_CREATE = """mutation($input: VoucherCreateInput!) { voucherCreate(input: $input) {
  userErrors { code field message } voucher { id code usageLimit used active } } }"""
VOUCHER_UPDATE = """mutation($input: VoucherUpdateInput!) { voucherUpdate(input: $input) {
  userErrors { code field message } voucher { code usageLimit active } } }"""
QUOTE = """query($input: PriceQuoteInput!) { priceQuote(input: $input) {
  userErrors { code field message }
  quote { currency channel subtotal { amount } discountTotal { amount } vatTotal { amount }
    total { amount display } shipping { amount } shippingDiscount { amount }
    lines { sku quantity unitPrice { amount } compareAt { amount } shelfUnitPrice { amount }
      discountTotal { amount } total { amount } vatRate vat { amount } net { amount }
      discounts { promotionName kind stage amount { amount } voucherCode } }
    considered { promotionName applied reason message discount { amount } }
    vouchers { code accepted reason message } } } }"""


async def count(runtime: Runtime, table) -> int:
    async with runtime.session_factory() as s:
        return await s.scalar(select(func.count()).select_from(table))


async def pricing_events(runtime: Runtime) -> int:
    async with runtime.engine.connect() as c:
        return (
            await c.execute(text("SELECT count(*) FROM outbox_events WHERE topic='pricing'"))
        ).scalar_one()


async def set_prices(merch, *prices: dict) -> dict:
    data = await merch(PRICES_SET, {"input": {"prices": list(prices)}})
    assert data["pricesSet"]["userErrors"] == []
    return data["pricesSet"]


async def test_set_prices_and_quote_a_cart_with_explanations(gql, merch, runtime, shop: Catalog):
    out = await set_prices(
        merch,
        {"sku": "HP-100", "amount": 2_999_000, "compareAt": 3_499_000},
        {"sku": "EB-200", "amount": 1_499_000},
        {"sku": "PH-300", "amount": 7_999_000},
    )
    assert [p["price"]["amount"] for p in out["prices"]] == [2_999_000, 1_499_000, 7_999_000]
    created = await merch(
        PROMO_CREATE,
        {
            "input": {
                "name": "Наушники −10%",
                "kind": "PERCENT_OFF_ITEMS",
                "percent": "10",
                "target": {
                    "categoryIds": [str(encode_id("Category", shop.category["headphones"]))]
                },
            }
        },
    )
    assert created["promotionCreate"]["userErrors"] == []
    assert created["promotionCreate"]["promotion"]["percent"] == "10"
    await merch(
        PROMO_CREATE,
        {
            "input": {
                "name": "От 100 000 ₽ — минус 5 000 ₽",
                "kind": "SPEND_GET_OFF",
                "amount": 500_000,
                "threshold": 10_000_000,
            }
        },
    )

    data = await gql(
        QUOTE,
        {"input": {"lines": [{"sku": "HP-100", "quantity": 1}, {"sku": "EB-200", "quantity": 2}]}},
    )
    result = data["priceQuote"]
    assert result["userErrors"] == []
    q = result["quote"]
    assert (q["currency"], q["channel"]) == ("RUB", "WEB")
    hp, eb = q["lines"]
    assert hp == {
        "sku": "HP-100",
        "quantity": 1,
        "unitPrice": {"amount": 2_999_000},
        "compareAt": {"amount": 3_499_000},
        "shelfUnitPrice": {"amount": 2_699_100},
        "discountTotal": {"amount": 299_900},
        "total": {"amount": 2_699_100},
        "vatRate": "20",
        "vat": {"amount": 449_850},
        "net": {"amount": 2_249_250},
        "discounts": [
            {
                "promotionName": "Наушники −10%",
                "kind": "PERCENT_OFF_ITEMS",
                "stage": "CATALOGUE",
                "amount": {"amount": 299_900},
                "voucherCode": None,
            }
        ],
    }
    assert eb["total"]["amount"] == 2 * 1_349_100
    assert q["total"] == {"amount": 5_397_300, "display": "53\u00a0973,00\u00a0₽"}
    assert q["vatTotal"]["amount"] == 449_850 + 449_700
    assert q["considered"][1] == {
        "promotionName": "От 100 000 ₽ — минус 5 000 ₽",
        "applied": False,
        "reason": "MIN_SPEND_NOT_MET",
        "discount": {"amount": 0},
        "message": "Spend 46027 RUB more on qualifying items to get it (minimum 100000 RUB).",
    }


async def test_a_quote_with_an_unknown_sku_is_a_user_error(gql, shop):
    data = await gql(QUOTE, {"input": {"lines": [{"sku": "NOPE", "quantity": 1}]}})
    assert data["priceQuote"] == {
        "userErrors": [
            {
                "code": "UNKNOWN_SKU",
                "field": "lines[0].sku",
                "message": "There is no SKU NOPE; check the label.",
            }
        ],
        "quote": None,
    }


async def test_a_variant_without_a_price_is_a_user_error(gql, shop):
    data = await gql(QUOTE, {"input": {"lines": [{"sku": "PH-300"}]}})
    assert [e["code"] for e in data["priceQuote"]["userErrors"]] == ["PRICE_NOT_FOUND"]


async def test_anonymous_and_customers_cannot_quote_for_someone_else(gql, customer_token, shop):
    other = str(encode_id("Customer", 2))
    data = await gql(QUOTE, {"input": {"lines": [{"sku": "PH-300"}], "customerId": other}})
    assert data["priceQuote"]["userErrors"][0]["code"] == "FORBIDDEN"
    data = await gql.as_(authorization=customer_token(1))(
        QUOTE, {"input": {"lines": [{"sku": "PH-300"}], "customerId": other}}
    )
    assert data["priceQuote"]["userErrors"][0]["code"] == "FORBIDDEN"


async def test_invalid_prices_change_nothing(merch, runtime, shop):
    data = await merch(
        PRICES_SET,
        {
            "input": {
                "prices": [
                    {"sku": "HP-100", "amount": 100},
                    {"sku": "NOPE-9", "amount": 100},
                    {"sku": "EB-200", "amount": -1},
                ]
            }
        },
    )
    assert [(e["code"], e["field"]) for e in data["pricesSet"]["userErrors"]] == [
        ("INVALID", "prices[2].amount"),
        ("UNKNOWN_SKU", "prices[1].sku"),
    ]
    assert data["pricesSet"]["prices"] is None
    assert await count(runtime, PriceRow) == 0 and await pricing_events(runtime) == 0


async def test_only_merchandisers_and_admins_may_change_prices(
    gql, staff_token, make_location, runtime, shop
):
    _, cashier = await staff_token(Role.CASHIER, [await make_location("S01")])
    for caller in (gql, gql.as_(authorization=cashier)):
        response = await caller.raw(
            PRICES_SET, {"input": {"prices": [{"sku": "HP-100", "amount": 100}]}}
        )
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        response = await caller.raw(PROMO_END, {"id": str(encode_id("Promotion", 1))})
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    _, admin = await staff_token(Role.ADMIN)
    await set_prices(gql.as_(authorization=admin), {"sku": "HP-100", "amount": 100})
    assert await count(runtime, PriceRow) == 1


async def test_invalid_promotions_are_user_errors_and_change_nothing(merch, runtime, shop):
    data = await merch(
        PROMO_CREATE,
        {
            "input": {
                "name": "Bad",
                "kind": "PERCENT_OFF_ITEMS",
                "percent": "120",
                "startsAt": "2026-07-01T00:00:00+00:00",
                "endsAt": "2026-06-01T00:00:00+00:00",
            }
        },
    )
    assert [(e["field"], e["code"]) for e in data["promotionCreate"]["userErrors"]] == [
        ("percent", "INVALID"),
        ("target", "INVALID"),
        ("endsAt", "INVALID"),
    ]
    data = await merch(
        PROMO_CREATE,
        {
            "input": {
                "name": "Typo",
                "kind": "AMOUNT_OFF_ITEMS",
                "amount": 100,
                "target": {"skus": ["HP-1OO"]},
            }
        },
    )
    assert [(e["field"], e["code"]) for e in data["promotionCreate"]["userErrors"]] == [
        ("target.skus", "UNKNOWN_SKU")
    ]
    assert await count(runtime, PromotionRow) == 0 and await pricing_events(runtime) == 0


async def test_update_and_end_a_promotion(merch, runtime, shop):
    created = (
        await merch(
            PROMO_CREATE,
            {
                "input": {
                    "name": "Sony",
                    "kind": "PERCENT_OFF_ITEMS",
                    "percent": "5",
                    "target": {"skus": ["HP-100"]},
                }
            },
        )
    )["promotionCreate"]["promotion"]
    assert created["target"]["variantIds"] == [str(encode_id("Variant", shop.variant["HP-100"]))]
    bad = await merch(PROMO_UPDATE, {"input": {"id": created["id"], "percent": "101"}})
    assert bad["promotionUpdate"]["userErrors"][0]["field"] == "percent"
    ok = await merch(
        PROMO_UPDATE, {"input": {"id": created["id"], "percent": "7.5", "priority": 3}}
    )
    assert ok["promotionUpdate"] == {
        "userErrors": [],
        "promotion": {"id": created["id"], "name": "Sony", "percent": "7.5", "priority": 3},
    }
    ended = await merch(PROMO_END, {"id": created["id"]})
    assert ended["promotionEnd"] == {"userErrors": [], "promotion": {"status": "ENDED"}}
    again = await merch(PROMO_END, {"id": created["id"]})
    assert again["promotionEnd"]["userErrors"] == [{"code": "INVALID", "field": "id"}]


async def test_vouchers_create_update_and_apply_in_a_quote(gql, merch, runtime, shop):
    await set_prices(merch, {"sku": "PH-300", "amount": 7_999_000})
    plain = (
        await merch(
            PROMO_CREATE, {"input": {"name": "Open", "kind": "ORDER_PERCENT", "percent": "1"}}
        )
    )["promotionCreate"]["promotion"]
    refused = await merch(VOUCHER_CREATE, {"input": {"code": "X-1", "promotionId": plain["id"]}})
    assert refused["voucherCreate"]["userErrors"][0]["field"] == "promotionId"
    promo = (
        await merch(
            PROMO_CREATE,
            {
                "input": {
                    "name": "APP500",
                    "kind": "SPEND_GET_OFF",
                    "amount": 50_000,
                    "threshold": 1_000_000,
                    "voucherOnly": True,
                    "channels": ["APP"],
                }
            },
        )
    )["promotionCreate"]["promotion"]
    made = await merch(
        VOUCHER_CREATE, {"input": {"code": "app500", "promotionId": promo["id"], "usageLimit": 10}}
    )
    voucher = made["voucherCreate"]["voucher"]
    assert voucher == {
        "id": voucher["id"],
        "code": "APP500",
        "usageLimit": 10,
        "used": 0,
        "active": True,
    }
    dup = await merch(VOUCHER_CREATE, {"input": {"code": "APP500", "promotionId": promo["id"]}})
    assert dup["voucherCreate"]["userErrors"][0]["code"] == "DUPLICATE_VOUCHER_CODE"
    assert await count(runtime, VoucherRow) == 1

    lines = [{"sku": "PH-300"}]
    app = await gql(
        QUOTE, {"input": {"lines": lines, "channel": "APP", "voucherCodes": ["App500"]}}
    )
    web = await gql(
        QUOTE, {"input": {"lines": lines, "channel": "WEB", "voucherCodes": ["APP500"]}}
    )
    # both combinable, same priority: "Open" (older) 1 % first, then the code's 500 RUB
    assert app["priceQuote"]["quote"]["total"]["amount"] == 7_999_000 - 79_990 - 50_000
    assert app["priceQuote"]["quote"]["vouchers"][0]["accepted"] is True
    assert web["priceQuote"]["quote"]["total"]["amount"] == 7_999_000 - 79_990  # only "Open" 1 %
    assert web["priceQuote"]["quote"]["vouchers"][0]["reason"] == "VOUCHER_NOT_APPLICABLE"

    withdrawn = await merch(VOUCHER_UPDATE, {"input": {"id": voucher["id"], "active": False}})
    assert withdrawn["voucherUpdate"]["voucher"] == {
        "code": "APP500",
        "usageLimit": 10,
        "active": False,
    }
    app = await gql(
        QUOTE, {"input": {"lines": lines, "channel": "APP", "voucherCodes": ["APP500"]}}
    )
    assert app["priceQuote"]["quote"]["vouchers"][0]["reason"] == "VOUCHER_INACTIVE"
    bad = await merch(VOUCHER_UPDATE, {"input": {"id": voucher["id"], "usageLimit": 0}})
    assert bad["voucherUpdate"]["userErrors"][0]["field"] == "usageLimit"


async def test_the_same_cart_costs_the_same_on_every_channel_unless_a_promotion_is_scoped(
    gql, merch, make_location, shop
):
    store = await make_location("S01")
    await set_prices(merch, {"sku": "HP-100", "amount": 2_999_000})
    await merch(
        PROMO_CREATE,
        {
            "input": {
                "name": "All",
                "kind": "PERCENT_OFF_ITEMS",
                "percent": "10",
                "target": {"skus": ["HP-100"]},
            }
        },
    )

    async def totals() -> list[int]:
        out = []
        for channel in ("WEB", "APP", "POS"):
            data = await gql(
                QUOTE,
                {
                    "input": {
                        "lines": [{"sku": "HP-100"}],
                        "channel": channel,
                        "locationId": str(encode_id("Location", store)),
                    }
                },
            )
            out.append(data["priceQuote"]["quote"]["total"]["amount"])
        return out

    assert await totals() == [2_699_100, 2_699_100, 2_699_100]
    await merch(
        PROMO_CREATE,
        {
            "input": {
                "name": "Store only",
                "kind": "AMOUNT_OFF_ITEMS",
                "amount": 100_000,
                "channels": ["POS"],
                "locationIds": [str(encode_id("Location", store))],
                "target": {"skus": ["HP-100"]},
            }
        },
    )
    assert await totals() == [2_699_100, 2_699_100, 2_599_100]


async def test_price_history_lists_every_entry(merch, shop):
    await set_prices(merch, {"sku": "HP-100", "amount": 100_000})
    await set_prices(merch, {"sku": "HP-100", "amount": 90_000, "channels": ["WEB", "APP"]})
    data = await merch(
        """query($v: ID!) { priceHistory(variantId: $v) {
        price { amount } channels createdBy } }""",
        {"v": str(encode_id("Variant", shop.variant["HP-100"]))},
    )
    assert [(p["price"]["amount"], p["channels"]) for p in data["priceHistory"]] == [
        (90_000, ["APP", "WEB"]),
        (100_000, []),
    ]
