# ruff: noqa: E501  (CSV fixture rows are kept verbatim)
"""Bulk import (file formats, rejected rows, re-run idempotence), the CLI, the demo catalog."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from api.runtime import Runtime
from domain.catalog import demo_data, importer
from domain.catalog.importer import Rejected
from tests.integration.catalog.seed import Seed, seed_catalog

CSV = """sku,product,title,title_en,product_type,brand,category,barcode,option.colour,attr.form_factor,attr.weight,attr.bass_level,variant_attr.weight,media
JBL-T770-BLK,jbl-tune-770nc,Наушники JBL Tune 770NC,JBL Tune 770NC headphones,headphones,JBL,headphones,6925281961922,Чёрный,over-ear,226,8,,https://img.example/jbl/1.jpg|https://img.example/jbl/2.jpg
JBL-T770-BLU,jbl-tune-770nc,Наушники JBL Tune 770NC,JBL Tune 770NC headphones,headphones,JBL,headphones,,Синий,over-ear,226,8,228,
JBL-BAD-1,jbl-bad,Наушники JBL Bad,,headphones,JBL,headphones,,,over-ear,loud,8,,
JBL-BAD-2,jbl-bad-2,Наушники JBL Bad 2,,headphones,JBL,no-such-category,,,over-ear,200,8,,
SEN-MOM4-BLK,,,,,,,,,,,,,
"""


async def _count(runtime: Runtime, table: str) -> int:
    async with runtime.engine.connect() as conn:
        return int(await conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


async def test_csv_import_upserts_by_sku_reports_rejects_and_is_safe_to_rerun(runtime: Runtime):
    await seed_catalog(runtime)
    products_before = await _count(runtime, "products")
    report = await importer.import_rows(runtime.uow, importer.parse_csv(CSV), actor="test")
    assert (report.products_created, report.variants_created) == (1, 2)
    assert (report.products_updated, report.variants_updated, report.unchanged) == (0, 0, 1)
    assert report.rejected == [
        Rejected(4, "attributes[1].value: Вес (weight) must be a number in g; got 'loud'."),
        Rejected(5, "category: No category 'no-such-category'; create it first (categoryCreate)."),
    ]
    assert await _count(runtime, "products") == products_before + 1
    async with runtime.engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT v.sku, v.barcode, v.options, v.effective_attributes->>'weight', "
                    "p.media, b.name FROM variants v JOIN products p ON p.id = v.product_id "
                    "JOIN brands b ON b.id = p.brand_id WHERE p.slug = 'jbl-tune-770nc' "
                    "ORDER BY v.sku"
                )
            )
        ).all()
        events = await conn.scalar(text("SELECT count(*) FROM outbox_events"))
    assert [tuple(r) for r in rows] == [
        ("JBL-T770-BLK", "6925281961922", {"colour": "Чёрный"}, "226",
         ["https://img.example/jbl/1.jpg", "https://img.example/jbl/2.jpg"], "JBL"),
        ("JBL-T770-BLU", None, {"colour": "Синий"}, "228",
         ["https://img.example/jbl/1.jpg", "https://img.example/jbl/2.jpg"], "JBL"),
    ]  # fmt: skip
    again = await importer.import_rows(runtime.uow, importer.parse_csv(CSV), actor="test")
    assert (again.products_created, again.variants_created, again.variants_updated) == (0, 0, 0)
    assert again.unchanged == 3 and [r.line for r in again.rejected] == [4, 5]
    async with runtime.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM outbox_events")) == events
    assert await _count(runtime, "products") == products_before + 1


async def test_jsonl_import_updates_an_existing_sku_and_rejects_bad_lines(runtime: Runtime):
    seed: Seed = await seed_catalog(runtime)
    lines = [
        json.dumps({"sku": "MAR-MAJOR4-BLK", "attributes": {"bass_level": 9},
                    "variant_attributes": {"weight": 160}, "weight_grams": 160}),
        "{not json",
        json.dumps({"sku": "MAR-MAJOR4-BLK", "product": "sony-wh-1000xm5-headphones"}),
        "",
        json.dumps({"sku": "NEW-1", "title": "Без типа"}),
        json.dumps({"sku": "NEW-2", "title": "Дубль", "product_type": "headphones",
                    "barcode": "4548736132610"}),
    ]  # fmt: skip
    report = await importer.import_rows(runtime.uow, importer.parse_jsonl(lines), actor="t")
    assert (report.products_updated, report.variants_updated) == (1, 1)
    assert [(r.line, r.reason.split(":")[0]) for r in report.rejected] == [
        (2, "not valid JSON (unexpected character, expected a string key"),
        (3, "product"),
        (5, "product_type"),
        (6, "variants[0].barcode"),
    ]
    async with runtime.engine.connect() as conn:
        effective = await conn.scalar(
            text("SELECT effective_attributes FROM variants WHERE id = :id"),
            {"id": seed.variants["MAR-MAJOR4-BLK"]},
        )
    assert effective["bass_level"] == 9 and effective["weight"] == 160


def test_the_import_command_shows_progress_and_lists_rejected_rows(
    tmp_path: Path, database_url: str
):
    # Needs the product type and category first; the demo step creates them.
    env = {**os.environ, "DATABASE_URL": database_url, "OMNI_DATA_DIR": str(tmp_path)}
    file = tmp_path / "catalog.jsonl"
    file.write_text(
        json.dumps({"sku": "CLI-1", "title": "Наушники CLI", "product_type": "nope"}) + "\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "import-catalog", str(file)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "0 rejected" not in result.stdout and "1 rejected" in result.stdout
    assert "line 1: product_type: No product type 'nope'." in result.stderr


def test_demo_catalog_is_deterministic_bilingual_and_big_enough():
    first, second = demo_data.rows(), demo_data.rows()
    assert first == second
    assert demo_data.product_count(first) == 206
    assert len(first) == 439
    assert len({r["sku"] for r in first}) == len(first)
    assert len({r["barcode"] for r in first}) == len(first)
    by_type: dict[str, int] = {}
    for slug, row in {r["product"]: r for r in first}.items():
        by_type[row["product_type"]] = by_type.get(row["product_type"], 0) + 1
        assert row["title"] and row["title_en"] and row["description_en"], slug
    assert by_type == {"headphones": 53, "smartphone": 39, "laptop": 32, "tv": 48, "accessory": 34}
    xm5 = next(r for r in first if r["product"] == "sony-wh-1000xm5-headphones")
    assert xm5["attributes"]["weight"] == 250 and xm5["attributes"]["bass_level"] == 7
    brands = {r["brand"] for r in first}
    assert {"Sony", "Sennheiser", "Apple", "Samsung", "Xiaomi", "JBL", "Bose", "Marshall",
            "Lenovo", "ASUS", "LG"} <= brands  # fmt: skip


async def test_demo_catalog_loads_and_a_rerun_changes_nothing(runtime: Runtime):
    report = await demo_data.load(runtime.uow)
    assert (report.products_created, report.variants_created, report.rejected) == (206, 439, [])
    again = await demo_data.load(runtime.uow)
    assert (again.products_created, again.variants_created, again.unchanged) == (0, 0, 439)
    assert await _count(runtime, "products") == 206
