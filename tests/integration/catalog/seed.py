"""A small headphone catalog for catalog tests, written through the services."""

from __future__ import annotations

from dataclasses import dataclass, field

from api.runtime import Runtime
from domain.catalog import services, structure
from domain.catalog.model import AttributeKind, Choice, ProductStatus
from domain.catalog.services import ProductDraft, VariantDraft
from domain.catalog.structure import AttributeSpec


@dataclass
class Seed:
    attributes: dict[str, int] = field(default_factory=dict)
    headphones: int = 0
    phones: int = 0
    brands: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)
    products: dict[str, int] = field(default_factory=dict)
    variants: dict[str, int] = field(default_factory=dict)


ATTRIBUTES = [
    AttributeSpec(
        code="form_factor",
        name="Форм-фактор",
        kind=AttributeKind.ENUM,
        choices=(
            Choice("over-ear", "Полноразмерные"),
            Choice("on-ear", "Накладные"),
            Choice("in-ear", "Вкладыши"),
        ),
        filterable=True,
        comparable=True,
        shown_on_card=True,
        position=1,
    ),
    AttributeSpec(
        code="weight",
        name="Вес",
        kind=AttributeKind.NUMBER,
        unit="g",
        min_value=0,
        filterable=True,
        comparable=True,
        shown_on_card=True,
        position=2,
    ),
    AttributeSpec(
        code="bass_level",
        name="Бас",
        kind=AttributeKind.NUMBER,
        min_value=1,
        max_value=10,
        filterable=True,
        comparable=True,
        position=3,
    ),
    AttributeSpec(
        code="detail",
        name="Детальность",
        kind=AttributeKind.NUMBER,
        min_value=1,
        max_value=10,
        filterable=True,
        comparable=True,
        position=4,
    ),
    AttributeSpec(
        code="impedance", name="Импеданс", kind=AttributeKind.NUMBER, unit="Ohm", position=5
    ),
    AttributeSpec(
        code="wireless",
        name="Беспроводные",
        kind=AttributeKind.BOOLEAN,
        filterable=True,
        position=6,
    ),
    AttributeSpec(code="os", name="ОС", kind=AttributeKind.TEXT, position=7),
]

# title, title_en, brand, form factor, weight, bass, detail, wireless, skus (sku, barcode)
HEADPHONES = [
    ("Наушники Sony WH-1000XM5", "Sony WH-1000XM5", "Sony", "over-ear", 250, 7, 8, True,
     [("SONY-WH1000XM5-BLK", "4548736132610"), ("SONY-WH1000XM5-SLV", "4548736132627")]),
    ("Наушники Sennheiser Momentum 4", "Sennheiser Momentum 4", "Sennheiser", "over-ear", 293, 6,
     9, True, [("SEN-MOM4-BLK", "4044155255737")]),
    ("Наушники Marshall Major IV", "Marshall Major IV", "Marshall", "on-ear", 165, 8, 6, True,
     [("MAR-MAJOR4-BLK", None)]),
    ("Наушники Sony WF-1000XM5", "Sony WF-1000XM5", "Sony", "in-ear", 6, 8, 8, True,
     [("SONY-WF1000XM5-BLK", None)]),
    ("Наушники Sennheiser HD 600", "Sennheiser HD 600", "Sennheiser", "over-ear", 260, 5, 10,
     False, [("SEN-HD600", None)]),
]  # fmt: skip


async def seed_catalog(runtime: Runtime) -> Seed:
    s = Seed()

    def uow():
        return runtime.uow()

    for spec in ATTRIBUTES:
        s.attributes[spec.code] = await structure.create_attribute(uow(), actor="test", spec=spec)
    s.headphones = await structure.create_product_type(
        uow(),
        actor="test",
        code="headphones",
        name="Наушники",
        attribute_ids=[
            s.attributes[c]
            for c in ("form_factor", "weight", "bass_level", "detail", "impedance", "wireless")
        ],
    )
    s.phones = await structure.create_product_type(
        uow(), actor="test", code="smartphone", name="Смартфоны",
        attribute_ids=[s.attributes["weight"], s.attributes["os"]],
    )  # fmt: skip
    for name in ("Sony", "Sennheiser", "Marshall", "Apple"):
        s.brands[name] = await structure.create_brand(uow(), actor="test", name=name)
    s.categories["audio"] = await structure.create_category(
        uow(), actor="test", name="Аудио", name_en="Audio", slug="audio"
    )
    s.categories["headphones"] = await structure.create_category(
        uow(), actor="test", name="Наушники", name_en="Headphones", slug="headphones",
        parent_id=s.categories["audio"],
    )  # fmt: skip
    s.categories["phones"] = await structure.create_category(
        uow(), actor="test", name="Смартфоны", name_en="Smartphones", slug="phones"
    )
    for title, title_en, brand, ff, weight, bass, detail, wireless, skus in HEADPHONES:
        key = title_en
        s.products[key] = await services.create_product(
            uow(),
            actor="test",
            draft=ProductDraft(
                title=title,
                title_en=f"{title_en} headphones",
                product_type_id=s.headphones,
                brand_id=s.brands[brand],
                category_id=s.categories["headphones"],
                status=ProductStatus.ACTIVE,
                attributes=[
                    ("form_factor", ff),
                    ("weight", weight),
                    ("bass_level", bass),
                    ("detail", detail),
                    ("wireless", wireless),
                ],
                variants=[
                    VariantDraft(sku=sku, barcode=barcode, options={"colour": sku.rsplit("-")[-1]})
                    for sku, barcode in skus
                ],
            ),
        )
    s.products["iPhone 15"] = await services.create_product(
        uow(),
        actor="test",
        draft=ProductDraft(
            title="Смартфон Apple iPhone 15",
            title_en="Apple iPhone 15 smartphone",
            product_type_id=s.phones,
            brand_id=s.brands["Apple"],
            category_id=s.categories["phones"],
            status=ProductStatus.ACTIVE,
            published_in_store=False,  # online only
            attributes=[("weight", 171), ("os", "iOS")],
            variants=[VariantDraft(sku="APL-IP15-128", barcode="0194253715214")],
        ),
    )
    s.products["draft"] = await services.create_product(
        uow(),
        actor="test",
        draft=ProductDraft(
            title="Наушники Sony WH-2000 (черновик)",
            product_type_id=s.headphones,
            brand_id=s.brands["Sony"],
            category_id=s.categories["headphones"],
            status=ProductStatus.DRAFT,
            attributes=[("form_factor", "over-ear"), ("weight", 200), ("bass_level", 9)],
            variants=[VariantDraft(sku="SONY-WH2000-DRAFT")],
        ),
    )
    s.products["store-only"] = await services.create_product(
        uow(),
        actor="test",
        draft=ProductDraft(
            title="Наушники Marshall Monitor II (витрина)",
            title_en="Marshall Monitor II headphones",
            product_type_id=s.headphones,
            brand_id=s.brands["Marshall"],
            category_id=s.categories["headphones"],
            status=ProductStatus.ACTIVE,
            published_online=False,
            attributes=[("form_factor", "over-ear"), ("weight", 320), ("bass_level", 9)],
            variants=[VariantDraft(sku="MAR-MON2-BLK")],
        ),
    )
    async with runtime.session_factory() as session:
        from sqlalchemy import select

        from domain.catalog.tables import VariantRow

        for sku, vid in (await session.execute(select(VariantRow.sku, VariantRow.id))).all():
            s.variants[sku] = vid
    return s
