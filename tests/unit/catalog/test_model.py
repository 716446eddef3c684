"""Pure catalog rules: attribute values, GTINs, slugs, visibility, relative filter."""

from __future__ import annotations

import pytest

from domain.access.model import Channel, Principal, PrincipalKind, Role
from domain.catalog import model
from domain.catalog.model import (
    AttributeCondition,
    AttributeDef,
    AttributeFilterInput,
    AttributeKind,
    Choice,
    Comparison,
    Direction,
    ProductSort,
    ProductStatus,
)
from domain.shared.errors import MultipleErrors, ValidationFailed

DEFS = {
    "form_factor": AttributeDef(
        code="form_factor", name="Форм-фактор", kind=AttributeKind.ENUM, filterable=True,
        comparable=True,
        choices=(Choice("over-ear", "Полноразмерные"), Choice("in-ear", "Вкладыши")),
    ),
    "weight": AttributeDef(code="weight", name="Вес", kind=AttributeKind.NUMBER, unit="g",
                           min_value=0, filterable=True, comparable=True),
    "bass_level": AttributeDef(code="bass_level", name="Бас", kind=AttributeKind.NUMBER,
                               min_value=1, max_value=10, filterable=True, comparable=True),
    "impedance": AttributeDef(code="impedance", name="Импеданс", kind=AttributeKind.NUMBER),
    "wireless": AttributeDef(code="wireless", name="Беспроводные", kind=AttributeKind.BOOLEAN,
                             filterable=True),
    "cpu": AttributeDef(code="cpu", name="Процессор", kind=AttributeKind.TEXT),
}  # fmt: skip


def test_values_are_parsed_to_their_kind_from_json_or_csv_text():
    values = model.validate_attribute_values(
        DEFS,
        [("weight", "250,5"), ("bass_level", 7.0), ("wireless", "да"), ("form_factor", "in-ear"),
         ("cpu", " Apple M3 "), ("impedance", "")],
    )  # fmt: skip
    assert values == {
        "weight": 250.5, "bass_level": 7, "wireless": True, "form_factor": "in-ear",
        "cpu": "Apple M3",
    }  # fmt: skip


def test_a_number_attribute_given_a_word_names_the_field():
    with pytest.raises(ValidationFailed) as err:
        model.validate_attribute_values(DEFS, [("wireless", True), ("weight", "loud")])
    assert err.value.field == "attributes[1].value"
    assert err.value.code == "INVALID_VALUE"
    assert err.value.message == "Вес (weight) must be a number in g; got 'loud'."


def test_every_bad_value_is_reported_at_once():
    with pytest.raises(MultipleErrors) as err:
        model.validate_attribute_values(
            DEFS,
            [("bass_level", 11), ("form_factor", "on-ear"), ("colour", "red"),
             ("wireless", "maybe"), ("bass_level", 3)],
            field="variants[0].attributes",
        )  # fmt: skip
    assert [(e.field, e.code) for e in err.value.errors] == [
        ("variants[0].attributes[0].value", "INVALID_VALUE"),
        ("variants[0].attributes[1].value", "INVALID_VALUE"),
        ("variants[0].attributes[2].code", "UNKNOWN_ATTRIBUTE"),
        ("variants[0].attributes[3].value", "INVALID_VALUE"),
        ("variants[0].attributes[4].code", "DUPLICATE"),
    ]
    assert err.value.errors[0].message == "Бас (bass_level) must be between 1 and 10; got 11."
    assert err.value.errors[1].message == (
        "Форм-фактор (form_factor) must be one of over-ear, in-ear; got 'on-ear'."
    )


@pytest.mark.parametrize("raw", [float("nan"), float("inf"), True, [1], None])
def test_non_finite_and_non_scalar_numbers_are_rejected(raw):
    with pytest.raises(ValidationFailed):
        model.parse_attribute_value(DEFS["weight"], raw, field="value")


def test_variant_overrides_win_over_product_values():
    assert model.effective_attributes({"weight": 250, "bass_level": 7}, {"weight": 240}) == {
        "weight": 240,
        "bass_level": 7,
    }


def test_card_display_uses_labels_units_and_yes_no():
    assert model.format_value(DEFS["weight"], 250) == "250 g"
    assert model.format_value(DEFS["weight"], 250.5) == "250.5 g"
    assert model.format_value(DEFS["form_factor"], "over-ear") == "Полноразмерные"
    assert model.format_value(DEFS["wireless"], False) == "нет"


@pytest.mark.parametrize(
    ("code", "ok"),
    [("4006381333931", True), ("4006381333932", False), ("96385074", True),
     ("036000291452", True), ("12345", False), ("40063813339a1", False)],
)  # fmt: skip
def test_barcodes_are_gtins_with_a_check_digit(code, ok):
    if ok:
        assert model.check_barcode(code) == code
    else:
        with pytest.raises(ValidationFailed):
            model.check_barcode(code)


def test_slugs_transliterate_russian_and_keep_model_numbers():
    assert model.slugify("Наушники Sony WH-1000XM5") == "naushniki-sony-wh-1000xm5"
    assert model.slugify("Samsung Galaxy S24+") == "samsung-galaxy-s24-plus"
    assert model.slugify("Чехол для iPhone 15") == "chehol-dlya-iphone-15"


def test_a_category_cannot_move_under_its_own_subtree():
    parents = {1: None, 2: 1, 3: 2, 4: None}
    model.check_category_parent(2, 4, parents)  # fine
    with pytest.raises(ValidationFailed) as err:
        model.check_category_parent(1, 3, parents)
    assert err.value.field == "parentId"


def test_relative_filter_is_strictly_lighter_and_bassier_than_the_reference():
    reference = {"weight": 250, "bass_level": 7, "form_factor": "over-ear"}
    conditions = model.build_relative_conditions(
        DEFS,
        reference,
        [Comparison("weight", Direction.LESS), Comparison("bass_level", Direction.GREATER),
         Comparison("form_factor", Direction.EQUAL)],
    )  # fmt: skip
    assert conditions == [
        AttributeCondition(code="weight", maximum=250.0, max_exclusive=True, facet=False),
        AttributeCondition(code="bass_level", minimum=7.0, min_exclusive=True, facet=False),
        AttributeCondition(code="form_factor", values=("over-ear",), facet=False),
    ]


def test_relative_filter_needs_comparable_numbers_and_a_reference_value():
    with pytest.raises(MultipleErrors) as err:
        model.build_relative_conditions(
            DEFS,
            {"impedance": 32, "form_factor": "in-ear"},
            [Comparison("impedance", Direction.LESS), Comparison("form_factor", Direction.LESS),
             Comparison("weight", Direction.LESS)],
        )  # fmt: skip
    assert [(e.field, e.code) for e in err.value.errors] == [
        ("filter.comparedTo.attributes[0].code", "UNKNOWN_ATTRIBUTE"),
        ("filter.comparedTo.attributes[1].direction", "INVALID"),
        ("filter.comparedTo.attributes[2].code", "NO_REFERENCE_VALUE"),
    ]


def test_facet_filters_must_suit_the_attribute_kind():
    ok = model.build_attribute_conditions(
        DEFS, [AttributeFilterInput("weight", minimum=100, maximum=300),
               AttributeFilterInput("wireless", boolean=True)]
    )  # fmt: skip
    assert [c.code for c in ok] == ["weight", "wireless"] and all(c.facet for c in ok)
    with pytest.raises(MultipleErrors) as err:
        model.build_attribute_conditions(
            DEFS, [AttributeFilterInput("wireless", values=("yes",)),
                   AttributeFilterInput("impedance", minimum=1),
                   AttributeFilterInput("weight", minimum=300, maximum=100)]
        )  # fmt: skip
    assert [e.field for e in err.value.errors] == [
        "filter.attributes[0].values",
        "filter.attributes[1].code",
        "filter.attributes[2].range",
    ]


def test_lists_show_active_products_published_to_the_callers_channel():
    web = Principal(channel=Channel.WEB)
    pos = Principal(channel=Channel.POS)
    assert model.list_visibility(web, channel=None, statuses=None) == model.Visibility(
        statuses=frozenset({ProductStatus.ACTIVE}), online=True
    )
    assert model.list_visibility(pos, channel=None, statuses=None).in_store is True
    with pytest.raises(ValidationFailed):
        model.list_visibility(web, channel=None, statuses=[ProductStatus.DRAFT])
    staff = Principal(kind=PrincipalKind.STAFF, role=Role.MERCHANDISER, channel=Channel.BACK_OFFICE)
    everything = model.list_visibility(staff, channel=None, statuses=list(ProductStatus))
    assert (everything.online, everything.in_store) == (False, False)
    assert len(everything.statuses) == 3


def test_single_lookups_hide_drafts_and_other_channels_from_shoppers():
    web = Principal(channel=Channel.WEB)
    assert model.can_see_product(web, status=ProductStatus.ACTIVE, published_online=True,
                                 published_in_store=False)  # fmt: skip
    assert not model.can_see_product(web, status=ProductStatus.DRAFT, published_online=True,
                                     published_in_store=True)  # fmt: skip
    assert not model.can_see_product(Principal(channel=Channel.POS), status=ProductStatus.ACTIVE,
                                     published_online=True, published_in_store=False)  # fmt: skip


def test_relevance_needs_a_search_and_search_tokens_are_words():
    assert model.effective_sort(None, []) is ProductSort.NEWEST
    assert model.effective_sort(None, ["sony"]) is ProductSort.RELEVANCE
    assert model.effective_sort(ProductSort.RELEVANCE, []) is ProductSort.NEWEST
    assert model.search_tokens("Наушники  Sony_WH-1000XM5!") == [
        "наушники", "sony", "wh", "1000xm5"
    ]  # fmt: skip
