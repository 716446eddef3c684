"""Clienteling rules: preferences with their evidence, ranking with concrete explanations,
consultant attribution, event validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from loyalty.clienteling import model
from loyalty.clienteling.model import (
    AttributeFilter,
    AttributeInfo,
    AttributeScore,
    Direction,
    Interaction,
    InteractionType,
    ProductFacts,
)

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ATTRS = {
    "bass_level": AttributeInfo("bass_level", "bass", None, 1, 10),
    "weight": AttributeInfo("weight", "weight", "g", 0, None),
    "detail": AttributeInfo("detail", "detail", None, 1, 10),
    "noise_cancelling": AttributeInfo("noise_cancelling", "noise cancelling"),
}


def product(
    pid: int, title: str, brand: str, bass: int, weight: int, price: int, **kw
) -> ProductFacts:
    return ProductFacts(
        id=pid,
        title=title,
        brand=brand,
        category_id=10,
        attributes={"bass_level": bass, "weight": weight, "detail": 7, **kw},
        price=price,
    )


XM5 = product(1, "Sony WH-1000XM5", "Sony", 7, 250, 2_999_000)
ULT = product(2, "Sony ULT Wear", "Sony", 9, 255, 1_999_000)
JBL = product(3, "JBL Tune 770NC", "JBL", 8, 226, 899_000)
HD600 = product(4, "Sennheiser HD 600", "Sennheiser", 5, 260, 3_500_000)
MAJOR = product(5, "Marshall Major V", "Marshall", 8, 186, 1_499_000)
PRODUCTS = {p.id: p for p in (XM5, ULT, JBL, HD600, MAJOR)}


def ev(i: int, type_: InteractionType, minutes: int, **kw) -> Interaction:
    return Interaction(id=i, type=type_, occurred_at=T0 + timedelta(minutes=minutes), **kw)


def story() -> list[Interaction]:
    """Newest first: web views and filters, then in-store ratings."""
    return list(
        reversed(
            [
                ev(1, InteractionType.PRODUCT_VIEWED, 0, product_id=1),
                ev(2, InteractionType.FAVORITED, 1, product_id=1),
                ev(
                    3,
                    InteractionType.FILTER_APPLIED,
                    2,
                    filters=(AttributeFilter("weight", max=250),),
                    price_min=1_000_000,
                    price_max=3_000_000,
                ),
                ev(
                    4,
                    InteractionType.PRODUCT_RATED,
                    60,
                    product_id=1,
                    ratings=(
                        AttributeScore("bass_level", 2, None, "too weak"),
                        AttributeScore("comfort", 5, None, ""),
                    ),
                ),
            ]
        )
    )


def test_a_low_bass_score_means_the_customer_wants_more_bass_than_the_rated_model():
    prefs = model.derive_preferences(story(), PRODUCTS, ATTRS)
    bass = [a for a in prefs.attributes if a.attribute == "bass_level"]
    assert [(a.bound, a.value, a.strict, a.description) for a in bass] == [
        ("MIN", 7.0, True, "wants more bass than Sony WH-1000XM5 (7)")
    ]
    assert bass[0].evidence.text == 'rated Sony WH-1000XM5 2/5 for bass: "too weak"'
    assert bass[0].evidence.interaction_id == 4


def test_a_weight_filter_becomes_an_inclusive_maximum_with_its_evidence():
    prefs = model.derive_preferences(story(), PRODUCTS, ATTRS)
    weight = [a for a in prefs.attributes if a.attribute == "weight"]
    assert [(a.bound, a.value, a.strict, a.description) for a in weight] == [
        ("MAX", 250, False, "under 250 g")
    ]
    assert weight[0].evidence.text == "filtered weight up to 250 g on WEB"
    assert (prefs.price_min, prefs.price_max) == (1_000_000, 3_000_000)
    assert prefs.price_evidence is not None
    assert prefs.price_evidence.text == "filtered prices 10 000 ₽–30 000 ₽ on WEB"


def test_an_attribute_the_catalog_does_not_measure_is_a_note_not_a_preference():
    prefs = model.derive_preferences(story(), PRODUCTS, ATTRS)
    assert [(n.attribute, n.score) for n in prefs.notes] == [("comfort", 5)]


def test_a_low_weight_score_means_lighter_and_an_explicit_direction_wins():
    rated = [
        ev(1, InteractionType.PRODUCT_RATED, 0, product_id=4, ratings=(
            AttributeScore("weight", 1), AttributeScore("bass_level", 2, Direction.LESS))),
    ]  # fmt: skip
    prefs = model.derive_preferences(rated, PRODUCTS, ATTRS)
    assert sorted((a.attribute, a.bound, a.value) for a in prefs.attributes) == [
        ("bass_level", "MAX", 5.0),
        ("weight", "MAX", 260.0),
    ]
    assert prefs.rejected == frozenset({4})


def test_the_newest_rating_of_a_model_supersedes_older_ones():
    events = [
        ev(2, InteractionType.PRODUCT_RATED, 10, product_id=1,
           ratings=(AttributeScore("bass_level", 5),)),
        ev(1, InteractionType.PRODUCT_RATED, 0, product_id=1,
           ratings=(AttributeScore("bass_level", 1),)),
    ]  # fmt: skip
    prefs = model.derive_preferences(events, PRODUCTS, ATTRS)
    assert [(a.bound, a.value) for a in prefs.attributes] == [("NEAR", 7.0)]
    assert prefs.rejected == frozenset()
    assert set(prefs.liked) == {1}


def test_favourites_are_favourited_and_not_unfavourited_since():
    events = [
        ev(4, InteractionType.UNFAVORITED, 3, product_id=2),
        ev(3, InteractionType.FAVORITED, 2, product_id=3),
        ev(2, InteractionType.FAVORITED, 1, product_id=2),
        ev(1, InteractionType.FAVORITED, 0, product_id=1),
    ]
    assert model.current_favourites(events) == [3, 1]


def test_ranking_follows_the_ratings_and_explains_with_attribute_values():
    prefs = model.derive_preferences(story(), PRODUCTS, ATTRS)
    ranked = model.rank(prefs, [XM5, ULT, JBL, HD600, MAJOR], ATTRS)
    assert [r.product.title for r in ranked] == [
        "Marshall Major V",  # more bass, light, in the price range
        "JBL Tune 770NC",  # more bass, light, but under the price range
        "Sony ULT Wear",  # more bass, too heavy
        "Sony WH-1000XM5",  # the bass they found too weak; a favourite, though
        "Sennheiser HD 600",  # less bass, heavy, too expensive
    ]
    top = ranked[0]
    assert top.reasons == (
        "more bass than Sony WH-1000XM5, which you rated 2/5 for bass",
        "weighs 186 g, under your 250 g",
        "costs 14 990 ₽, within your 10 000 ₽–30 000 ₽ range",
    )
    assert top.misses == ()
    assert ranked[3].reasons == (
        "weighs 250 g, right at your 250 g",
        "costs 29 990 ₽, within your 10 000 ₽–30 000 ₽ range",
        "in your favourites",
        "Sony: you favourited Sony WH-1000XM5",
    )
    hd600 = next(r for r in ranked if r.product.id == 4)
    assert hd600.misses == (
        "no more bass than Sony WH-1000XM5 (5 vs 7), which you rated 2/5 for bass",
        "weighs 260 g, over your 250 g",
        "costs 35 000 ₽, outside your 10 000 ₽–30 000 ₽ range",
    )


def test_rejected_models_are_never_recommended():
    scores = (AttributeScore("bass_level", 1), AttributeScore("weight", 2))
    events = [ev(1, InteractionType.PRODUCT_RATED, 0, product_id=2, ratings=scores)]
    prefs = model.derive_preferences(events, PRODUCTS, ATTRS)
    assert 2 not in [r.product.id for r in model.rank(prefs, list(PRODUCTS.values()), ATTRS)]


def test_without_history_an_out_of_stock_context_gets_its_closest_alternatives_first():
    context = ProductFacts(**{**HD600.__dict__, "in_stock": False})
    ranked = model.rank(model.Preferences(), [XM5, ULT, JBL, MAJOR], ATTRS, context=context)
    assert [r.product.title for r in ranked] == [
        "Sony WH-1000XM5",
        "Sony ULT Wear",
        "JBL Tune 770NC",
        "Marshall Major V",
    ]
    assert ranked[0].reasons == (
        "close to Sennheiser HD 600, which is out of stock here: bass 7 vs 5, "
        "weight 250 g vs 260 g, detail 7 vs 7",
    )


def test_orders_go_to_the_latest_consultation_within_the_window():
    c1 = model.ConsultationFact(1, 100, 7, 11, T0)
    c2 = model.ConsultationFact(2, 100, 7, 12, T0 + timedelta(days=3))
    orders = [
        model.OrderFact(50, 100, "WEB", T0 - timedelta(hours=1), "RUB", 1000),  # before
        model.OrderFact(51, 100, "WEB", T0 + timedelta(days=1), "RUB", 2000),  # c1
        model.OrderFact(52, 100, "APP", T0 + timedelta(days=4), "RUB", 3000),  # c2 (last touch)
        model.OrderFact(53, 100, "POS", T0 + timedelta(days=20), "RUB", 4000),  # after window
        model.OrderFact(54, 200, "WEB", T0 + timedelta(days=1), "RUB", 5000),  # other customer
    ]
    got = model.attribute_orders([c1, c2], orders, days=14)
    assert [(a.order.id, a.consultation.staff_user_id) for a in got] == [(51, 11), (52, 12)]


@pytest.mark.parametrize(
    ("event", "has_customer", "field", "message"),
    [
        (ev(0, InteractionType.PRODUCT_VIEWED, 0), False, "e.productId",
         "PRODUCT_VIEWED needs the productId it is about."),
        (ev(0, InteractionType.STORE_CHECK_IN, 0, location_id=1), False, "e.type",
         "Sign in to check in or call a consultant: the store needs to know who you are."),
        (ev(0, InteractionType.CONSULTANT_REQUESTED, 0), True, "e.locationId",
         "CONSULTANT_REQUESTED needs the store's locationId (from the QR at the entrance)."),
        (ev(0, InteractionType.PRODUCT_RATED, 0, product_id=1,
            ratings=(AttributeScore("bass_level", 6),)), True, "e.ratings[0].score",
         "Scores go from 1 to 5; bass_level has 6."),
        (ev(0, InteractionType.COMPARED, 0, product_ids=(1, 1)), True, "e.productIds",
         "COMPARED needs at least two productIds."),
        (ev(0, InteractionType.FILTER_APPLIED, 0, price_min=5, price_max=1), True, "e.priceMin",
         "priceMin is above priceMax; swap them."),
    ],
)  # fmt: skip
def test_events_are_checked_with_the_field_and_what_to_do(event, has_customer, field, message):
    with pytest.raises(model.EventProblem) as exc:
        model.check_event(event, has_customer=has_customer, prefix="e")
    assert (exc.value.field, exc.value.message) == (field, message)
