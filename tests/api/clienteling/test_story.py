"""Issue 9's story end to end through the API on the demo store: web views and filters ->
store check-in -> staff sees the interests -> in-store ratings -> web recommendations change
-> an online order (checkout through the API) is credited to the consultant."""

from __future__ import annotations

from datetime import timedelta

from api.runtime import Runtime
from fulfillment.queries import orders_of_customers
from loyalty.queries import balances_by_customer
from tests.api.clienteling.support import (
    ANNA,
    APP_KEY,
    WEB_KEY,
    db_id,
    demo_store,
    now,
)
from tests.api.orders import docs
from tests.conftest import GQL
from tests.support.orders import ADDRESS

RECORD = """mutation($input: InteractionsRecordInput!) { interactionsRecord(input: $input) {
  userErrors { code field message } recorded duplicates skipped joined
  consultations { id status location { code } } } }"""
VISITORS = """query($loc: ID!) { storeVisitors(locationId: $loc) {
  visitors { customer { displayName } consultation { id status } }
  queue { id status customer { displayName } } } }"""
C360 = """query($c: ID!, $loc: ID!) { customer360(customerId: $c, locationId: $loc) {
  personalised customer { displayName loyalty { pointsBalance tier { code } } }
  recentViews { type product { titleEn } }
  searches { query }
  filters { priceMin priceMax filters { attribute max equals } }
  favourites { titleEn }
  comparisons { products { titleEn } }
  ratings { product { titleEn } ratings { attribute score comment } recordedBy }
  preferences { priceRange { min max evidence { text } }
    attributes { attribute bound description evidence { text } }
    notes { attribute score } brands { brand } }
  orders { number channel total } openCarts { id } returns { orderNumber status }
  consultations { status consultant { name } } } }"""
RECOMMEND = """query($ctx: RecommendationContextInput) {
  recommendations(context: $ctx, first: 3) {
    personalised contextInStock
    items { product { titleEn } variant { sku } price reasons misses } } }"""
ACCEPT = """mutation($input: ConsultationAcceptInput!) { consultationAccept(input: $input) {
  userErrors { code message } consultation { status consultant { name } } } }"""
RATE = """mutation($input: ConsultationRatingsRecordInput!) {
  consultationRatingsRecord(input: $input) {
  userErrors { code field message } recorded duplicates } }"""
ATTRIBUTION = """query($loc: ID!, $from: DateTime!, $to: DateTime!) {
  consultantAttribution(locationId: $loc, from: $from, to: $to) { windowDays
    consultants { consultant { name } consultations orders revenue { currency amount }
      attributedOrders { channel total customer { displayName } } } } }"""


async def test_the_store_knows_what_the_customer_did_online_and_the_site_learns_from_the_store(
    runtime: Runtime, gql: GQL
):
    demo = await demo_store(runtime, gql)
    p, s01 = demo.products, demo.locations["S01"]

    # 1. Before signing in, Анна looks at the ULT Wear on the web (anonymous session).
    anonymous = gql.as_(x_api_key=WEB_KEY, x_session_id="web-session-42")
    data = await anonymous(RECORD, {"input": {"events": [
        {"type": "PRODUCT_VIEWED", "productId": p["Sony ULT Wear"], "clientEventId": "w1"},
        {"type": "SEARCHED", "query": "наушники с басом", "clientEventId": "w2"},
    ]}})  # fmt: skip
    assert data["interactionsRecord"]["recorded"] == 2
    # Even anonymous, the session steers the site: the category she looked at, in stock.
    guest = (await anonymous(RECOMMEND, {"ctx": None}))["recommendations"]
    assert guest["personalised"] is True and len(guest["items"]) == 3

    # 2. She signs in on the web: the session's events join her (the demo already holds her
    #    earlier browsing: XM5 viewed and favourited, weight <= 250 g and ANC filter, 15-35k).
    #    customerSignIn joins them; interactionsRecord would too (joined counts them).
    web, anna = await demo.customer(ANNA, x_session_id="web-session-42")
    data = await web(RECORD, {"input": {"events": [
        {"type": "REVIEW_READ", "productId": p["Sony WH-1000XM5"], "clientEventId": "w3"},
    ]}})  # fmt: skip
    assert data["interactionsRecord"] == {
        "userErrors": [], "recorded": 1, "duplicates": 0, "skipped": 0, "joined": 0,
        "consultations": [],
    }  # fmt: skip
    before = (await web(RECOMMEND, {"ctx": {"productId": p["Sony WH-1000XM5"]}}))["recommendations"]
    assert before["personalised"] is True
    assert [i["product"]["titleEn"] for i in before["items"]] == [
        "Bose QuietComfort 45 headphones",
        "Sony WH-CH720N headphones",
        "JBL Tune 770NC headphones",
    ]

    # 3. In the store she scans the QR at the entrance and calls a consultant in the app.
    app, _ = await demo.customer(ANNA, key=APP_KEY)
    data = await app(RECORD, {"input": {"events": [
        {"type": "STORE_CHECK_IN", "locationId": s01, "clientEventId": "a1"},
        {"type": "CONSULTANT_REQUESTED", "locationId": s01, "clientEventId": "a2"},
    ]}})  # fmt: skip
    request = data["interactionsRecord"]["consultations"]
    assert [(c["status"], c["location"]["code"]) for c in request] == [("REQUESTED", "S01")]

    # 4. The consultant's tablet shows her, her request, and what she looked at online.
    staff, _ = await demo.staff("cashier.s01@demo.omni")
    visitors = (await staff(VISITORS, {"loc": s01}))["storeVisitors"]
    assert visitors["visitors"] == [
        {"customer": {"displayName": "Анна Петрова"},
         "consultation": {"id": request[0]["id"], "status": "REQUESTED"}}
    ]  # fmt: skip
    assert [q["customer"]["displayName"] for q in visitors["queue"]] == ["Анна Петрова"]
    accepted = (await staff(ACCEPT, {"input": {"consultationId": request[0]["id"]}}))[
        "consultationAccept"
    ]
    assert accepted == {
        "userErrors": [],
        "consultation": {"status": "ACCEPTED", "consultant": {"name": "Елена Смирнова"}},
    }
    profile = (await staff(C360, {"c": anna, "loc": s01}))["customer360"]
    assert profile["personalised"] is True
    async with runtime.session_factory() as session:  # what loyalty and orders hold for her
        balance = (await balances_by_customer(session, [db_id(anna)]))[db_id(anna)]
        earlier = await orders_of_customers(session, [db_id(anna)])
    assert profile["customer"] == {
        "displayName": "Анна Петрова",
        "loyalty": {"pointsBalance": balance, "tier": {"code": "GOLD"}},
    }
    # the demo's earlier web order: shown, and (placed before the consultation) never credited
    assert [(o["number"], o["channel"], o["total"]) for o in profile["orders"]] == [
        (o.number, o.channel, o.total) for o in earlier
    ]
    assert [v["product"]["titleEn"] for v in profile["recentViews"]][:3] == [
        "Sony WH-1000XM5 headphones",  # review read just now
        "Sony ULT Wear headphones",  # the anonymous view, joined on sign-in
        "Sennheiser Momentum 4 Wireless headphones",
    ]
    assert [s["query"] for s in profile["searches"]] == [
        "наушники с басом", "наушники с шумоподавлением",
    ]  # fmt: skip
    assert profile["filters"] == [
        {"priceMin": 1_500_000, "priceMax": 3_500_000,
         "filters": [{"attribute": "weight", "max": 250.0, "equals": None},
                     {"attribute": "noise_cancelling", "max": None, "equals": True}]}
    ]  # fmt: skip
    assert profile["favourites"] == [{"titleEn": "Sony WH-1000XM5 headphones"}]
    assert profile["comparisons"][0]["products"] == [
        {"titleEn": "Sony WH-1000XM5 headphones"},
        {"titleEn": "Bose QuietComfort Ultra Headphones headphones"},
    ]
    assert profile["preferences"]["priceRange"] == {
        "min": 1_500_000, "max": 3_500_000,
        "evidence": {"text": "filtered prices 15 000 ₽–35 000 ₽ on WEB"},
    }  # fmt: skip
    assert [a["description"] for a in profile["preferences"]["attributes"]] == [
        "under 250 g", "noise cancelling",
    ]  # fmt: skip
    assert (profile["ratings"], profile["returns"]) == ([], [])
    assert profile["consultations"] == [
        {"status": "ACCEPTED", "consultant": {"name": "Елена Смирнова"}}
    ]

    # 5. She listens: the XM5's bass is too weak (comfort great); the ULT Wear's bass is
    #    right, but it is too heavy.
    rated = (await staff(RATE, {"input": {"consultationId": request[0]["id"], "ratings": [
        {"productId": p["Sony WH-1000XM5"], "clientEventId": "r1", "scores": [
            {"attribute": "bass_level", "score": 2, "comment": "слабый бас"},
            {"attribute": "comfort", "score": 5}]},
        {"productId": p["Sony ULT Wear"], "clientEventId": "r2", "scores": [
            {"attribute": "bass_level", "score": 5},
            {"attribute": "weight", "score": 2, "comment": "тяжёлые"}]},
    ]}}))["consultationRatingsRecord"]  # fmt: skip
    assert rated == {"userErrors": [], "recorded": 2, "duplicates": 0}
    profile = (await staff(C360, {"c": anna, "loc": s01}))["customer360"]
    assert [a["description"] for a in profile["preferences"]["attributes"]] == [
        "likes bass around 9, as in Sony ULT Wear",
        "wants lighter than Sony ULT Wear (255 g)",
        "wants more bass than Sony WH-1000XM5 (7)",
        "under 250 g",
        "noise cancelling",
    ]
    assert profile["preferences"]["notes"] == [{"attribute": "comfort", "score": 5}]

    # 6. Back home, the web recommends what matches what she heard, and says why.
    after = (await web(RECOMMEND, {"ctx": {"productId": p["Sony WH-1000XM5"]}}))["recommendations"]
    assert {k: v for k, v in after["items"][0].items() if k != "variant"} == {
        "product": {"titleEn": "JBL Tune 770NC headphones"},
        "price": 2_168_100,
        "reasons": [
            "bass 8, like Sony ULT Wear, which you rated 5/5 for bass",
            "lighter than Sony ULT Wear, which you rated 2/5 for weight",
            "more bass than Sony WH-1000XM5, which you rated 2/5 for bass",
            "weighs 226 g, under your 250 g",
            "noise cancelling: yes, as you filtered",
            "costs 21 681 ₽, within your 15 000 ₽–35 000 ₽ range",
            "JBL: you viewed JBL Live 660NC",
        ],
        "misses": [],
    }
    assert [i["product"]["titleEn"] for i in after["items"]] != [
        i["product"]["titleEn"] for i in before["items"]
    ]

    # 7. At home she orders it on the web: the sale is credited to the consultant.
    sku = after["items"][0].pop("variant")["sku"]
    cart = (await web(docs.CART_CREATE, {"input": {}}))["cartCreate"]["cart"]
    ref = {"cartId": cart["id"]}
    added = await web(docs.LINES_ADD, {"input": {
        **ref, "idempotencyKey": "add-1", "lines": [{"sku": sku, "quantity": 1}]}})  # fmt: skip
    assert added["cartLinesAdd"]["userErrors"] == []
    await web(
        docs.SET_SHIPPING, {"input": {**ref, "address": ADDRESS, "shippingMethod": "COURIER"}}
    )
    done = (await web(docs.CHECKOUT, {"input": {
        **ref, "idempotencyKey": "co-1", "tenders": [{"kind": "CARD", "reference": "PSP-7"}],
    }}))["checkoutComplete"]  # fmt: skip
    assert done["userErrors"] == []
    total = done["order"]["total"]["amount"]
    manager, _ = await demo.staff("manager.s01@demo.omni")
    report = (await manager(ATTRIBUTION, {
        "loc": s01, "from": (now() - timedelta(days=1)).isoformat(),
        "to": (now() + timedelta(days=1)).isoformat(),
    }))["consultantAttribution"]  # fmt: skip
    assert report == {
        "windowDays": 14,
        "consultants": [
            {
                "consultant": {"name": "Елена Смирнова"},
                "consultations": 1,
                "orders": 1,
                "revenue": [{"currency": "RUB", "amount": total}],
                "attributedOrders": [
                    {"channel": "WEB", "total": total,
                     "customer": {"displayName": "Анна Петрова"}}
                ],
            }
        ],
    }  # fmt: skip
    profile = (await staff(C360, {"c": anna, "loc": s01}))["customer360"]
    assert [(o["number"], o["channel"], o["total"]) for o in profile["orders"]] == [
        (done["order"]["number"], "WEB", total)
    ] + [(o.number, o.channel, o.total) for o in earlier]
