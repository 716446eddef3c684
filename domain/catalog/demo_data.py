# ruff: noqa: E501  (data tables read best one record per line)
"""The demo electronics retailer's catalog: deterministic, bilingual, believable values.

``structure()`` is the attributes, product types and categories; ``rows()`` the products as
import rows (one per variant), so the demo loads through the same upsert as a file import and
re-running it changes nothing. Values are plausible published figures, rounded; bass and detail
(1-10) are the shop's own listening scores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from domain.catalog import importer, model, structure
from domain.catalog.model import AttributeKind, Choice
from domain.catalog.queries import all_attributes, categories_by_slugs, product_types_by_codes
from domain.catalog.structure import AttributeSpec
from domain.shared.uow import UnitOfWork

N, E, B, T = AttributeKind.NUMBER, AttributeKind.ENUM, AttributeKind.BOOLEAN, AttributeKind.TEXT


def _spec(code: str, name: str, name_en: str, kind: AttributeKind, pos: int, **kw: Any) -> Any:
    return AttributeSpec(code=code, name=name, name_en=name_en, kind=kind, position=pos, **kw)


ATTRIBUTES = [
    _spec("form_factor", "Форм-фактор", "Form factor", E, 1, filterable=True, comparable=True,
          shown_on_card=True, choices=(Choice("over-ear", "Полноразмерные"),
                                       Choice("on-ear", "Накладные"), Choice("in-ear", "Вкладыши"))),
    _spec("screen_size", "Диагональ", "Screen size", N, 2, unit="in", filterable=True,
          comparable=True, shown_on_card=True, min_value=1, max_value=120),
    _spec("accessory_kind", "Тип аксессуара", "Accessory type", E, 3, filterable=True,
          shown_on_card=True, choices=(Choice("case", "Чехол"), Choice("charger", "Зарядное устройство"),
                                       Choice("cable", "Кабель"), Choice("power_bank", "Внешний аккумулятор"),
                                       Choice("speaker", "Портативная колонка"))),
    _spec("weight", "Вес", "Weight", N, 4, unit="g", filterable=True, comparable=True,
          shown_on_card=True, min_value=0),
    _spec("bass_level", "Бас", "Bass", N, 5, filterable=True, comparable=True, min_value=1,
          max_value=10),
    _spec("detail", "Детальность звука", "Detail", N, 6, filterable=True, comparable=True,
          min_value=1, max_value=10),
    _spec("impedance", "Импеданс", "Impedance", N, 7, unit="Ohm", comparable=True, min_value=1),
    _spec("wireless", "Беспроводные", "Wireless", B, 8, filterable=True, shown_on_card=True),
    _spec("noise_cancelling", "Шумоподавление", "Noise cancelling", B, 9, filterable=True,
          shown_on_card=True),
    _spec("battery_hours", "Время работы", "Battery life", N, 10, unit="h", filterable=True,
          comparable=True, min_value=0),
    _spec("storage_gb", "Встроенная память", "Storage", N, 11, unit="GB", filterable=True,
          comparable=True, shown_on_card=True, min_value=1),
    _spec("ram_gb", "Оперативная память", "RAM", N, 12, unit="GB", filterable=True,
          comparable=True, shown_on_card=True, min_value=1),
    _spec("cpu", "Процессор", "Processor", T, 13, shown_on_card=True),
    _spec("os", "Операционная система", "Operating system", E, 14, filterable=True,
          choices=(Choice("android", "Android"), Choice("ios", "iOS"), Choice("windows", "Windows"),
                   Choice("macos", "macOS"), Choice("none", "Без ОС"))),
    _spec("battery_mah", "Ёмкость аккумулятора", "Battery capacity", N, 15, unit="mAh",
          filterable=True, comparable=True, min_value=0),
    _spec("nfc", "NFC", "NFC", B, 16, filterable=True),
    _spec("resolution", "Разрешение", "Resolution", E, 17, filterable=True, shown_on_card=True,
          choices=(Choice("fhd", "Full HD"), Choice("4k", "4K UHD"), Choice("8k", "8K"))),
    _spec("panel", "Тип матрицы", "Panel", E, 18, filterable=True, shown_on_card=True,
          choices=(Choice("led", "LED"), Choice("qled", "QLED"), Choice("oled", "OLED"),
                   Choice("miniled", "Mini LED"))),
    _spec("refresh_rate", "Частота обновления", "Refresh rate", N, 19, unit="Hz",
          filterable=True, comparable=True, min_value=1),
    _spec("smart_tv", "Smart TV", "Smart TV", B, 20, filterable=True),
    _spec("power_w", "Мощность", "Power", N, 21, unit="W", filterable=True, comparable=True,
          min_value=0),
    _spec("compatible_with", "Совместимость", "Compatible with", T, 22, shown_on_card=True),
]  # fmt: skip

PRODUCT_TYPES = {
    "headphones": ("Наушники", ["form_factor", "weight", "bass_level", "detail", "impedance",
                                "wireless", "noise_cancelling", "battery_hours"]),
    "smartphone": ("Смартфон", ["screen_size", "storage_gb", "ram_gb", "os", "battery_mah",
                                "weight", "nfc"]),
    "laptop": ("Ноутбук", ["screen_size", "cpu", "ram_gb", "storage_gb", "os", "weight",
                           "battery_hours"]),
    "tv": ("Телевизор", ["screen_size", "resolution", "panel", "refresh_rate", "smart_tv",
                         "weight"]),
    "accessory": ("Аксессуар", ["accessory_kind", "compatible_with", "power_w", "weight",
                                "wireless", "battery_hours"]),
}  # fmt: skip

# slug, name, name_en, parent slug
CATEGORIES = [
    ("audio", "Аудиотехника", "Audio", None),
    ("headphones", "Наушники", "Headphones", "audio"),
    ("speakers", "Портативная акустика", "Portable speakers", "audio"),
    ("smartphones", "Смартфоны", "Smartphones", None),
    ("laptops", "Ноутбуки", "Laptops", None),
    ("tv", "Телевизоры", "TVs", None),
    ("accessories", "Аксессуары", "Accessories", None),
    ("cases", "Чехлы", "Cases", "accessories"),
    ("chargers", "Зарядные устройства", "Chargers", "accessories"),
    ("cables", "Кабели", "Cables", "accessories"),
    ("power-banks", "Внешние аккумуляторы", "Power banks", "accessories"),
]

COLOURS = {
    "BLK": ("Чёрный", "Black"), "WHT": ("Белый", "White"), "SLV": ("Серебристый", "Silver"),
    "BLU": ("Синий", "Blue"), "BEI": ("Бежевый", "Beige"), "GRY": ("Серый", "Grey"),
    "GRN": ("Зелёный", "Green"), "PNK": ("Розовый", "Pink"), "BRN": ("Коричневый", "Brown"),
    "TTN": ("Титановый", "Titanium"), "MDN": ("Тёмная ночь", "Midnight"),
}  # fmt: skip

# brand, model, form factor, weight g, bass, detail, impedance Ohm, wireless, ANC, hours, colours
HEADPHONES = [
    ("Sony", "WH-1000XM5", "over-ear", 250, 7, 8, 48, True, True, 30, "BLK SLV BLU"),
    ("Sony", "WH-1000XM4", "over-ear", 254, 7, 7, 47, True, True, 30, "BLK SLV"),
    ("Sony", "WH-CH720N", "over-ear", 192, 6, 6, 43, True, True, 35, "BLK WHT BLU"),
    ("Sony", "WH-CH520", "on-ear", 147, 6, 5, 32, True, False, 50, "BLK WHT BLU"),
    ("Sony", "WF-1000XM5", "in-ear", 6, 8, 8, 16, True, True, 8, "BLK SLV"),
    ("Sony", "WF-C700N", "in-ear", 5, 7, 6, 16, True, True, 7, "BLK WHT"),
    ("Sony", "MDR-7506", "over-ear", 230, 5, 8, 63, False, False, 0, "BLK"),
    ("Sennheiser", "Momentum 4 Wireless", "over-ear", 293, 6, 9, 470, True, True, 60, "BLK WHT"),
    ("Sennheiser", "Accentum Wireless", "over-ear", 222, 6, 7, 470, True, True, 50, "BLK WHT"),
    ("Sennheiser", "HD 450BT", "over-ear", 238, 7, 7, 18, True, True, 30, "BLK WHT"),
    ("Sennheiser", "HD 600", "over-ear", 260, 5, 10, 300, False, False, 0, "BLK"),
    ("Sennheiser", "HD 560S", "over-ear", 240, 4, 9, 120, False, False, 0, "BLK"),
    ("Sennheiser", "Momentum True Wireless 4", "in-ear", 6, 7, 9, 16, True, True, 7, "BLK"),
    ("Bose", "QuietComfort Ultra Headphones", "over-ear", 250, 7, 8, 32, True, True, 24, "BLK WHT"),
    ("Bose", "QuietComfort 45", "over-ear", 240, 6, 7, 32, True, True, 24, "BLK WHT"),
    ("Bose", "QuietComfort Ultra Earbuds", "in-ear", 6, 7, 8, 16, True, True, 6, "BLK WHT"),
    ("Marshall", "Major IV", "on-ear", 165, 8, 6, 32, True, False, 80, "BLK BRN"),
    ("Marshall", "Major V", "on-ear", 186, 8, 6, 32, True, False, 100, "BLK BRN"),
    ("Marshall", "Monitor II A.N.C.", "over-ear", 320, 8, 7, 32, True, True, 45, "BLK"),
    ("Marshall", "Minor IV", "in-ear", 5, 7, 6, 16, True, False, 7, "BLK"),
    ("Marshall", "Motif II A.N.C.", "in-ear", 5, 8, 7, 16, True, True, 6, "BLK"),
    ("JBL", "Tune 770NC", "over-ear", 226, 8, 6, 32, True, True, 70, "BLK WHT BLU"),
    ("JBL", "Tune 520BT", "on-ear", 157, 7, 5, 32, True, False, 57, "BLK WHT BLU PNK"),
    ("JBL", "Live 660NC", "over-ear", 250, 8, 6, 32, True, True, 50, "BLK WHT BLU"),
    ("JBL", "Tour One M2", "over-ear", 268, 7, 7, 32, True, True, 50, "BLK BEI"),
    ("JBL", "Tune Beam", "in-ear", 5, 8, 5, 16, True, True, 12, "BLK WHT"),
    ("JBL", "Vibe Beam", "in-ear", 5, 8, 5, 16, True, False, 8, "BLK BEI"),
    ("Apple", "AirPods Pro 2", "in-ear", 5, 6, 7, 16, True, True, 6, "WHT"),
    ("Apple", "AirPods 4", "in-ear", 4, 5, 6, 16, True, False, 5, "WHT"),
    ("Apple", "AirPods Max", "over-ear", 385, 7, 8, 32, True, True, 20, "SLV BLU GRN PNK MDN"),
    ("Beats", "Studio Pro", "over-ear", 260, 8, 6, 32, True, True, 40, "BLK BEI BLU"),
    ("Beats", "Solo 4", "on-ear", 217, 8, 6, 32, True, False, 50, "BLK BLU PNK"),
    ("Samsung", "Galaxy Buds3 Pro", "in-ear", 5, 7, 7, 16, True, True, 6, "SLV WHT"),
    ("Samsung", "Galaxy Buds FE", "in-ear", 6, 7, 5, 16, True, True, 6, "GRY WHT"),
    ("Xiaomi", "Redmi Buds 6 Pro", "in-ear", 5, 7, 6, 16, True, True, 9, "BLK WHT"),
    ("Xiaomi", "Buds 5", "in-ear", 5, 6, 6, 16, True, True, 6, "BLK WHT"),
    ("Audio-Technica", "ATH-M50x", "over-ear", 285, 7, 8, 38, False, False, 0, "BLK WHT"),
    ("Audio-Technica", "ATH-M40x", "over-ear", 240, 5, 8, 35, False, False, 0, "BLK"),
    ("Beyerdynamic", "DT 770 Pro 80 Ohm", "over-ear", 270, 8, 8, 80, False, False, 0, "GRY"),
    ("Beyerdynamic", "DT 990 Pro", "over-ear", 250, 6, 9, 250, False, False, 0, "GRY"),
    ("AKG", "K371", "over-ear", 255, 6, 8, 32, False, False, 0, "BLK"),
    ("Huawei", "FreeBuds Pro 3", "in-ear", 6, 7, 7, 16, True, True, 6, "WHT GRN"),
    ("Anker", "Soundcore Space One", "over-ear", 265, 8, 6, 32, True, True, 40, "BLK BLU"),
    ("Sony", "ULT Wear", "over-ear", 255, 9, 6, 32, True, True, 30, "BLK WHT"),
    ("JBL", "Quantum 100", "over-ear", 220, 8, 5, 32, False, False, 0, "BLK"),
    ("Sony", "WH-XB910N", "over-ear", 252, 9, 6, 32, True, True, 30, "BLK BLU"),
    ("Sennheiser", "HD 660S2", "over-ear", 260, 6, 10, 300, False, False, 0, "BLK"),
    ("Sennheiser", "CX Plus True Wireless", "in-ear", 6, 7, 7, 16, True, True, 8, "BLK WHT"),
    ("Bose", "QuietComfort Headphones", "over-ear", 254, 7, 7, 32, True, True, 24, "BLK WHT GRN"),
    ("JBL", "Live Pro 2", "in-ear", 5, 8, 6, 16, True, True, 10, "BLK BLU"),
    ("Huawei", "FreeClip", "in-ear", 6, 5, 6, 16, True, False, 8, "BLK PNK"),
    ("Xiaomi", "Redmi Buds 5", "in-ear", 5, 7, 5, 16, True, True, 10, "BLK WHT"),
    ("Apple", "EarPods USB-C", "in-ear", 10, 4, 5, 45, False, False, 0, "WHT"),
]  # fmt: skip

# brand, model, screen in, storages GB, ram GB, os, battery mAh, weight g, nfc, colours
PHONES = [
    ("Apple", "iPhone 16 Pro Max", 6.9, "256 512 1024", 8, "ios", 4685, 227, True, "TTN BLK WHT"),
    ("Apple", "iPhone 16 Pro", 6.3, "128 256 512", 8, "ios", 3582, 199, True, "TTN BLK WHT"),
    ("Apple", "iPhone 16 Plus", 6.7, "128 256", 8, "ios", 4674, 199, True, "BLK WHT PNK"),
    ("Apple", "iPhone 16", 6.1, "128 256 512", 8, "ios", 3561, 170, True, "BLK WHT PNK GRN"),
    ("Apple", "iPhone 15 Pro", 6.1, "128 256", 8, "ios", 3274, 187, True, "TTN BLK"),
    ("Apple", "iPhone 15", 6.1, "128 256", 6, "ios", 3349, 171, True, "BLK BLU PNK"),
    ("Apple", "iPhone 14", 6.1, "128", 6, "ios", 3279, 172, True, "MDN BLU"),
    ("Samsung", "Galaxy S24 Ultra", 6.8, "256 512", 12, "android", 5000, 232, True, "TTN BLK"),
    ("Samsung", "Galaxy S24+", 6.7, "256 512", 12, "android", 4900, 196, True, "BLK GRY"),
    ("Samsung", "Galaxy S24", 6.2, "128 256", 8, "android", 4000, 167, True, "BLK GRY"),
    ("Samsung", "Galaxy S23 FE", 6.4, "128 256", 8, "android", 4500, 209, True, "BLK GRN"),
    ("Samsung", "Galaxy A55", 6.6, "128 256", 8, "android", 5000, 213, True, "BLK BLU"),
    ("Samsung", "Galaxy A35", 6.6, "128 256", 8, "android", 5000, 209, True, "BLK BLU"),
    ("Samsung", "Galaxy A25", 6.5, "128", 6, "android", 5000, 197, True, "BLK BLU"),
    ("Samsung", "Galaxy A15", 6.5, "128", 4, "android", 5000, 200, True, "BLK BLU"),
    ("Samsung", "Galaxy Z Flip6", 6.7, "256 512", 12, "android", 4000, 187, True, "GRY BLU"),
    ("Samsung", "Galaxy Z Fold6", 7.6, "256 512", 12, "android", 4400, 239, True, "GRY PNK"),
    ("Xiaomi", "14 Ultra", 6.73, "512", 16, "android", 5000, 219, True, "BLK WHT"),
    ("Xiaomi", "14", 6.36, "256 512", 12, "android", 4610, 193, True, "BLK WHT GRN"),
    ("Xiaomi", "13T Pro", 6.67, "512", 12, "android", 5000, 200, True, "BLK BLU"),
    ("Xiaomi", "13T", 6.67, "256", 8, "android", 5000, 197, True, "BLK BLU"),
    ("Xiaomi", "Redmi Note 13 Pro", 6.67, "256 512", 8, "android", 5100, 187, True, "BLK PNK"),
    ("Xiaomi", "Redmi Note 13", 6.67, "128 256", 6, "android", 5000, 188, True, "BLK BLU"),
    ("Xiaomi", "Redmi 13C", 6.74, "128", 4, "android", 5000, 192, False, "BLK BLU"),
    ("Xiaomi", "POCO X6 Pro", 6.67, "256 512", 12, "android", 5000, 186, True, "BLK GRY"),
    ("Xiaomi", "POCO F6", 6.67, "256 512", 12, "android", 5000, 179, True, "BLK TTN"),
    ("Google", "Pixel 8 Pro", 6.7, "128 256", 12, "android", 5050, 213, True, "BLK BLU"),
    ("Google", "Pixel 8", 6.2, "128 256", 8, "android", 4575, 187, True, "BLK PNK"),
    ("Honor", "200", 6.7, "256", 8, "android", 5200, 187, True, "BLK GRN"),
    ("Honor", "Magic6 Pro", 6.8, "512", 12, "android", 5600, 225, True, "BLK GRN"),
    ("realme", "12 Pro+", 6.7, "256 512", 12, "android", 5000, 196, True, "BLU BEI"),
    ("OnePlus", "12", 6.82, "256 512", 12, "android", 5400, 220, True, "BLK GRN"),
    ("Nothing", "Phone (2a)", 6.7, "128 256", 8, "android", 5000, 190, True, "BLK WHT"),
    ("Tecno", "Camon 30", 6.78, "256", 8, "android", 5000, 191, True, "BLK WHT"),
    ("Infinix", "Note 40", 6.78, "256", 8, "android", 5000, 190, True, "BLK GRN"),
    ("Apple", "iPhone 13", 6.1, "128", 4, "ios", 3240, 173, True, "MDN WHT"),
    ("Samsung", "Galaxy A05s", 6.7, "64 128", 4, "android", 5000, 194, False, "BLK"),
    ("Xiaomi", "Redmi A3", 6.71, "64 128", 4, "android", 5000, 193, False, "BLK BLU"),
    ("Google", "Pixel 8a", 6.1, "128", 8, "android", 4492, 188, True, "BLK BLU"),
]  # fmt: skip

# brand, model, screen, cpu, configs "ram/storage ...", os, weight g, battery h, colours
LAPTOPS = [
    ("Apple", "MacBook Air 13 M2", 13.6, "Apple M2", "8/256 16/512", "macos", 1240, 18, "SLV GRY MDN"),
    ("Apple", "MacBook Air 13 M3", 13.6, "Apple M3", "8/256 16/512", "macos", 1240, 18, "SLV GRY MDN"),
    ("Apple", "MacBook Air 15 M3", 15.3, "Apple M3", "8/256 16/512", "macos", 1510, 18, "SLV MDN"),
    ("Apple", "MacBook Pro 14 M3", 14.2, "Apple M3", "8/512 16/1024", "macos", 1550, 22, "SLV GRY"),
    ("Apple", "MacBook Pro 14 M3 Pro", 14.2, "Apple M3 Pro", "18/512 36/1024", "macos", 1610, 18, "SLV BLK"),
    ("Apple", "MacBook Pro 16 M3 Max", 16.2, "Apple M3 Max", "36/1024 48/1024", "macos", 2160, 22, "SLV BLK"),
    ("Lenovo", "IdeaPad Slim 3 15IAH8", 15.6, "Intel Core i5-12450H", "8/512 16/512", "none", 1620, 9, "GRY"),
    ("Lenovo", "IdeaPad Slim 5 14IMH9", 14.0, "Intel Core Ultra 5 125H", "16/512 16/1024", "windows", 1460, 12, "GRY"),
    ("Lenovo", "ThinkPad E14 Gen 5", 14.0, "Intel Core i5-1335U", "16/512", "windows", 1410, 10, "BLK"),
    ("Lenovo", "ThinkPad T14 Gen 4", 14.0, "Intel Core i7-1355U", "16/512 32/1024", "windows", 1210, 12, "BLK"),
    ("Lenovo", "ThinkPad X1 Carbon Gen 12", 14.0, "Intel Core Ultra 7 155U", "32/1024", "windows", 1090, 14, "BLK"),
    ("Lenovo", "Legion 5 16IRX9", 16.0, "Intel Core i7-14650HX", "16/1024 32/1024", "none", 2380, 6, "GRY"),
    ("Lenovo", "Legion Pro 7 16IRX9H", 16.0, "Intel Core i9-14900HX", "32/1024", "windows", 2800, 5, "BLK"),
    ("Lenovo", "Yoga Slim 7 14IMH9", 14.0, "Intel Core Ultra 7 155H", "16/1024 32/1024", "windows", 1390, 14, "GRY BLU"),
    ("ASUS", "Vivobook 15 X1504VA", 15.6, "Intel Core i5-1335U", "8/512 16/512", "none", 1700, 8, "BLU SLV"),
    ("ASUS", "Vivobook 16 X1605VA", 16.0, "Intel Core i7-13700H", "16/512 16/1024", "windows", 1880, 8, "BLU SLV"),
    ("ASUS", "Vivobook S 14 OLED", 14.0, "Intel Core Ultra 7 155H", "16/1024", "windows", 1300, 13, "BLU"),
    ("ASUS", "Zenbook 14 OLED UX3405MA", 14.0, "Intel Core Ultra 7 155H", "16/512 32/1024", "windows", 1200, 15, "BLU GRY"),
    ("ASUS", "TUF Gaming A15 FA507NV", 15.6, "AMD Ryzen 7 7735HS", "16/512 16/1024", "none", 2200, 7, "GRY"),
    ("ASUS", "ROG Strix G16 G614JV", 16.0, "Intel Core i7-13650HX", "16/1024", "windows", 2500, 5, "GRY"),
    ("ASUS", "ROG Zephyrus G14 GA403UV", 14.0, "AMD Ryzen 9 8945HS", "16/1024 32/1024", "windows", 1500, 9, "GRY WHT"),
    ("HP", "Pavilion 15-eg3", 15.6, "Intel Core i5-1335U", "8/512 16/512", "windows", 1740, 8, "SLV"),
    ("HP", "Victus 16-r0", 16.1, "Intel Core i5-13500H", "16/512", "none", 2290, 7, "BLK"),
    ("HP", "EliteBook 840 G10", 14.0, "Intel Core i7-1355U", "16/512", "windows", 1360, 12, "SLV"),
    ("Huawei", "MateBook D 16 2024", 16.0, "Intel Core i5-12450H", "16/512", "windows", 1680, 10, "GRY"),
    ("Huawei", "MateBook 14 2024", 14.2, "Intel Core Ultra 5 125H", "16/1024", "windows", 1310, 12, "GRY GRN"),
    ("Acer", "Aspire 5 A515-58M", 15.6, "Intel Core i5-1335U", "8/512 16/512", "none", 1780, 9, "GRY"),
    ("Acer", "Nitro V 15 ANV15-51", 15.6, "Intel Core i5-13420H", "16/512", "none", 2100, 6, "BLK"),
    ("MSI", "Katana 15 B13VFK", 15.6, "Intel Core i7-13620H", "16/1024", "windows", 2250, 5, "BLK"),
    ("MSI", "Modern 14 C13M", 14.0, "Intel Core i5-1335U", "8/512 16/512", "none", 1400, 9, "GRY"),
    ("Samsung", "Galaxy Book4", 15.6, "Intel Core 5 120U", "8/512 16/512", "windows", 1550, 15, "GRY SLV"),
    ("Xiaomi", "RedmiBook 15", 15.6, "Intel Core i5-11320H", "8/512 16/512", "windows", 1800, 9, "GRY"),
]  # fmt: skip

# brand, series, model pattern ({size}), panel, resolution, Hz, sizes, weight g per inch
TVS = [
    ("Samsung", "Q80C", "QE{size}Q80CAUXRU", "qled", "4k", 120, "50 55 65 75", 330),
    ("Samsung", "CU7100", "UE{size}CU7100UXRU", "led", "4k", 60, "43 50 55 65", 260),
    ("Samsung", "S90C", "QE{size}S90CAUXRU", "oled", "4k", 144, "55 65 77", 330),
    ("Samsung", "QN900C", "QE{size}QN900CUXRU", "miniled", "8k", 120, "65 75", 420),
    ("LG", "OLED C3", "OLED{size}C3RLA", "oled", "4k", 120, "42 48 55 65 77", 310),
    ("LG", "OLED G3", "OLED{size}G3RLA", "oled", "4k", 120, "55 65", 330),
    ("LG", "UR78", "{size}UR78006LK", "led", "4k", 60, "43 50 55 65", 250),
    ("LG", "QNED81", "{size}QNED816RA", "qled", "4k", 60, "50 55 65", 280),
    ("Sony", "Bravia XR A80L", "XR-{size}A80L", "oled", "4k", 120, "55 65 77", 340),
    ("Sony", "Bravia X85L", "KD-{size}X85L", "led", "4k", 120, "55 65 75", 300),
    ("Sony", "Bravia X75WL", "KD-{size}X75WL", "led", "4k", 60, "43 50 55", 230),
    ("Xiaomi", "TV A Pro", "L{size}MA-SRU", "qled", "4k", 60, "43 55 65", 220),
    ("Xiaomi", "TV A", "L{size}MA-AFRU", "led", "fhd", 60, "32 43", 170),
    ("TCL", "C745", "{size}C745", "qled", "4k", 144, "55 65 75", 290),
    ("Hisense", "U6NQ", "{size}U6NQ", "miniled", "4k", 60, "55 65", 300),
    ("Haier", "Smart TV S4", "{size} Smart TV S4", "qled", "4k", 120, "55 65", 280),
]  # fmt: skip

# brand, name ru, name en, kind, compatible with, power W, weight g, wireless, hours, colours
ACCESSORIES = [
    ("Apple", "Чехол Silicone Case MagSafe для iPhone 16", "Silicone Case with MagSafe for iPhone 16", "case", "iPhone 16", 0, 30, False, 0, "BLK PNK BLU"),
    ("Apple", "Чехол Silicone Case MagSafe для iPhone 15", "Silicone Case with MagSafe for iPhone 15", "case", "iPhone 15", 0, 30, False, 0, "BLK PNK"),
    ("Apple", "Чехол Clear Case MagSafe для iPhone 16 Pro", "Clear Case with MagSafe for iPhone 16 Pro", "case", "iPhone 16 Pro", 0, 35, False, 0, "WHT"),
    ("Samsung", "Чехол Clear Case для Galaxy S24", "Clear Case for Galaxy S24", "case", "Galaxy S24", 0, 25, False, 0, "WHT"),
    ("Samsung", "Чехол Silicone Case для Galaxy S24 Ultra", "Silicone Case for Galaxy S24 Ultra", "case", "Galaxy S24 Ultra", 0, 32, False, 0, "BLK GRY"),
    ("Xiaomi", "Чехол для Redmi Note 13 Pro", "Case for Redmi Note 13 Pro", "case", "Redmi Note 13 Pro", 0, 28, False, 0, "BLK"),
    ("Apple", "Сетевое зарядное устройство USB-C 20 Вт", "20W USB-C Power Adapter", "charger", "iPhone, iPad, AirPods", 20, 60, False, 0, "WHT"),
    ("Apple", "Сетевое зарядное устройство USB-C 35 Вт Dual", "35W Dual USB-C Power Adapter", "charger", "MacBook Air, iPhone", 35, 90, False, 0, "WHT"),
    ("Samsung", "Сетевое зарядное устройство 25 Вт", "25W Power Adapter", "charger", "Galaxy", 25, 62, False, 0, "BLK WHT"),
    ("Samsung", "Сетевое зарядное устройство 45 Вт", "45W Power Adapter", "charger", "Galaxy S24 Ultra", 45, 72, False, 0, "BLK"),
    ("Xiaomi", "Сетевое зарядное устройство 67 Вт", "67W Charger", "charger", "Xiaomi, Redmi, POCO", 67, 105, False, 0, "WHT"),
    ("Anker", "Сетевое зарядное устройство Nano 30 Вт", "Nano 30W Charger", "charger", "USB-C", 30, 42, False, 0, "WHT BLK"),
    ("Ugreen", "Сетевое зарядное устройство Nexode 65 Вт GaN", "Nexode 65W GaN Charger", "charger", "USB-C, ноутбуки", 65, 115, False, 0, "GRY"),
    ("Apple", "Беспроводное зарядное устройство MagSafe", "MagSafe Charger", "charger", "iPhone 12 и новее", 15, 60, True, 0, "WHT"),
    ("Apple", "Кабель USB-C 1 м", "USB-C Woven Charge Cable 1 m", "cable", "USB-C", 60, 30, False, 0, "WHT"),
    ("Apple", "Кабель USB-C — Lightning 1 м", "USB-C to Lightning Cable 1 m", "cable", "iPhone 14 и старше", 20, 28, False, 0, "WHT"),
    ("Ugreen", "Кабель USB-C 100 Вт 2 м", "USB-C 100W Cable 2 m", "cable", "USB-C", 100, 55, False, 0, "BLK GRY"),
    ("Anker", "Кабель PowerLine III USB-C 1,8 м", "PowerLine III USB-C Cable 1.8 m", "cable", "USB-C", 60, 45, False, 0, "BLK"),
    ("Baseus", "Кабель USB-A — USB-C 1 м", "USB-A to USB-C Cable 1 m", "cable", "USB-C", 15, 25, False, 0, "BLK WHT"),
    ("Xiaomi", "Внешний аккумулятор Power Bank 10000 мАч 22.5 Вт", "Power Bank 10000 mAh 22.5W", "power_bank", "USB-C, USB-A", 22.5, 220, False, 0, "BLK WHT"),
    ("Xiaomi", "Внешний аккумулятор Power Bank 20000 мАч 33 Вт", "Power Bank 20000 mAh 33W", "power_bank", "USB-C, USB-A", 33, 420, False, 0, "BLK"),
    ("Anker", "Внешний аккумулятор PowerCore 20000", "PowerCore 20000", "power_bank", "USB-C, USB-A", 20, 356, False, 0, "BLK"),
    ("Baseus", "Внешний аккумулятор MagSafe 10000 мАч", "Magnetic Power Bank 10000 mAh", "power_bank", "iPhone 12 и новее", 20, 200, True, 0, "WHT BLU"),
    ("Samsung", "Внешний аккумулятор 10000 мАч 25 Вт", "Battery Pack 10000 mAh 25W", "power_bank", "USB-C", 25, 210, False, 0, "BEI"),
    ("JBL", "Портативная колонка Flip 6", "Flip 6 portable speaker", "speaker", "Bluetooth", 30, 550, True, 12, "BLK BLU GRY"),
    ("JBL", "Портативная колонка Charge 5", "Charge 5 portable speaker", "speaker", "Bluetooth", 40, 960, True, 20, "BLK BLU GRN"),
    ("JBL", "Портативная колонка Go 4", "Go 4 portable speaker", "speaker", "Bluetooth", 4.2, 190, True, 7, "BLK BLU PNK"),
    ("JBL", "Портативная колонка Clip 5", "Clip 5 portable speaker", "speaker", "Bluetooth", 7, 285, True, 12, "BLK PNK"),
    ("Marshall", "Портативная колонка Emberton II", "Emberton II portable speaker", "speaker", "Bluetooth", 20, 700, True, 30, "BLK"),
    ("Marshall", "Портативная колонка Willen", "Willen portable speaker", "speaker", "Bluetooth", 10, 310, True, 15, "BLK"),
    ("Sony", "Портативная колонка SRS-XB100", "SRS-XB100 portable speaker", "speaker", "Bluetooth", 5, 274, True, 16, "BLK BLU"),
    ("Sony", "Портативная колонка ULT Field 1", "ULT Field 1 portable speaker", "speaker", "Bluetooth", 10, 650, True, 12, "BLK WHT"),
    ("Bose", "Портативная колонка SoundLink Flex", "SoundLink Flex portable speaker", "speaker", "Bluetooth", 10, 600, True, 12, "BLK BLU"),
    ("Xiaomi", "Портативная колонка Sound Pocket", "Sound Pocket speaker", "speaker", "Bluetooth", 5, 250, True, 10, "BLK"),
]  # fmt: skip

ACCESSORY_CATEGORY = {
    "case": "cases", "charger": "chargers", "cable": "cables", "power_bank": "power-banks",
    "speaker": "speakers",
}  # fmt: skip
FORM_RU = {"over-ear": "полноразмерные", "on-ear": "накладные", "in-ear": "беспроводные вкладыши"}
FORM_EN = {"over-ear": "over-ear", "on-ear": "on-ear", "in-ear": "in-ear"}


def _code(text: str) -> str:
    return "".join(ch for ch in text.upper().replace("+", "PLUS") if ch.isalnum())[:32]


def barcode(n: int) -> str:
    """EAN-13 in the Russian GS1 range (460), unique per demo variant."""
    body = f"460{n:09d}"
    return body + str(model.gtin_check_digit(body))


def _media(slug: str, count: int = 2) -> list[str]:
    return [f"https://img.omni.example/products/{slug}/{i}.jpg" for i in range(1, count + 1)]


class _Rows:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.serial = 1_000

    def add(self, product: dict[str, Any], variants: list[dict[str, Any]]) -> None:
        slug = model.slugify(product["title_en"])
        product = {**product, "product": slug, "media": _media(slug), "status": "ACTIVE"}
        for variant in variants:
            self.serial += 1
            self.rows.append({**product, "barcode": barcode(self.serial), **variant})


def _colour_variants(prefix: str, colours: str, **extra: Any) -> list[dict[str, Any]]:
    out = []
    for code in colours.split():
        ru, _en = COLOURS[code]
        out.append(
            {"sku": f"{prefix}-{code}", "options": {"Цвет": ru}, "variant_title": ru, **extra}
        )
    return out


def rows() -> list[dict[str, Any]]:
    """Every demo variant as an import row, in a fixed order."""
    out = _Rows()
    for brand, name, ff, weight, bass, detail, imp, wireless, anc, hours, colours in HEADPHONES:
        title_ru = f"Наушники {brand} {name}"
        kind_ru = FORM_RU[ff] if wireless or ff != "in-ear" else "вкладыши"
        extra_ru = (
            f", шумоподавление, до {hours} ч работы"
            if anc
            else (f", до {hours} ч работы" if wireless else f", проводные, {imp} Ом")
        )
        extra_en = (
            f", noise cancelling, up to {hours} h battery"
            if anc
            else (f", up to {hours} h battery" if wireless else f", wired, {imp} Ohm")
        )
        attributes = {
            "form_factor": ff,
            "weight": weight,
            "bass_level": bass,
            "detail": detail,
            "impedance": imp,
            "wireless": wireless,
            "noise_cancelling": anc,
        }
        if wireless:
            attributes["battery_hours"] = hours
        out.add(
            {"title": title_ru, "title_en": f"{brand} {name} headphones", "brand": brand,
             "category": "headphones", "product_type": "headphones", "attributes": attributes,
             "description": f"{brand} {name}: {kind_ru} наушники, {weight} г{extra_ru}.",
             "description_en": f"{brand} {name}: {FORM_EN[ff]} headphones, {weight} g{extra_en}."},
            _colour_variants(f"HP-{_code(brand)[:4]}-{_code(name)}", colours, weight_grams=weight),
        )  # fmt: skip
    for brand, name, screen, storages, ram, os_, mah, weight, nfc, colours in PHONES:
        variants = []
        for gb in storages.split():
            label = f"{int(gb) // 1024} ТБ" if int(gb) >= 1024 else f"{gb} ГБ"
            for v in _colour_variants(f"PH-{_code(brand)[:4]}-{_code(name)}-{gb}", colours):
                v["options"] = {"Память": label, **v["options"]}
                v["variant_title"] = f"{label}, {v['variant_title']}"
                v["variant_attributes"] = {"storage_gb": int(gb)}
                variants.append(v)
        out.add(
            {"title": f"Смартфон {brand} {name}", "title_en": f"{brand} {name} smartphone",
             "brand": brand, "category": "smartphones", "product_type": "smartphone",
             "attributes": {"screen_size": screen, "storage_gb": int(storages.split()[0]),
                            "ram_gb": ram, "os": os_, "battery_mah": mah, "weight": weight,
                            "nfc": nfc},
             "description": f"{brand} {name}: экран {screen}\", {ram} ГБ ОЗУ, аккумулятор "
                            f"{mah} мА·ч, вес {weight} г.",
             "description_en": f"{brand} {name}: {screen}\" screen, {ram} GB RAM, {mah} mAh "
                               f"battery, {weight} g."},
            variants,
        )  # fmt: skip
    for brand, name, screen, cpu, configs, os_, weight, hours, colours in LAPTOPS:
        variants = []
        for config in configs.split():
            ram, storage = (int(x) for x in config.split("/"))
            for v in _colour_variants(
                f"NB-{_code(brand)[:4]}-{_code(name)}-{ram}-{storage}", colours
            ):
                v["options"] = {"Конфигурация": f"{ram} ГБ / {storage} ГБ", **v["options"]}
                v["variant_title"] = f"{ram}/{storage} ГБ, {v['variant_title']}"
                v["variant_attributes"] = {"ram_gb": ram, "storage_gb": storage}
                variants.append(v)
        first_ram, first_storage = (int(x) for x in configs.split()[0].split("/"))
        out.add(
            {"title": f"Ноутбук {brand} {name}", "title_en": f"{brand} {name} laptop",
             "brand": brand, "category": "laptops", "product_type": "laptop",
             "attributes": {"screen_size": screen, "cpu": cpu, "ram_gb": first_ram,
                            "storage_gb": first_storage, "os": os_, "weight": weight,
                            "battery_hours": hours},
             "description": f"{brand} {name}: {screen}\", {cpu}, вес {weight / 1000:.2f} кг, до "
                            f"{hours} ч автономной работы.",
             "description_en": f"{brand} {name}: {screen}\", {cpu}, {weight / 1000:.2f} kg, up "
                               f"to {hours} h battery."},
            variants,
        )  # fmt: skip
    for brand, series, pattern, panel, res, hz, sizes, grams_per_inch in TVS:
        for size in sizes.split():
            model_name = pattern.format(size=size)
            inches = int(size)
            out.add(
                {"title": f"Телевизор {brand} {model_name} {inches}\" {series}",
                 "title_en": f"{brand} {model_name} {inches}-inch {series} TV", "brand": brand,
                 "category": "tv", "product_type": "tv",
                 "attributes": {"screen_size": inches, "resolution": res, "panel": panel,
                                "refresh_rate": hz, "smart_tv": True,
                                "weight": inches * grams_per_inch},
                 "description": f"{brand} {series} {inches}\": {panel.upper()}, "
                                f"{'8K' if res == '8k' else '4K' if res == '4k' else 'Full HD'}, "
                                f"{hz} Гц, Smart TV.",
                 "description_en": f"{brand} {series} {inches}-inch {panel.upper()} TV, "
                                   f"{res.upper()}, {hz} Hz, Smart TV.",
                 "in_store": True, "online": True},
                [{"sku": f"TV-{_code(brand)[:4]}-{_code(model_name)}", "weight_grams": inches * grams_per_inch}],
            )  # fmt: skip
    for n, accessory in enumerate(ACCESSORIES, start=1):
        brand, ru, en, kind, compatible, watts, weight, wireless, hours, colours = accessory
        attributes: dict[str, Any] = {
            "accessory_kind": kind,
            "compatible_with": compatible,
            "weight": weight,
            "wireless": wireless,
        }
        if watts:
            attributes["power_w"] = watts
        if hours:
            attributes["battery_hours"] = hours
        out.add(
            {"title": f"{ru} {brand}" if kind != "speaker" else ru.replace("колонка ", f"колонка {brand} "),
             "title_en": f"{brand} {en}", "brand": brand, "category": ACCESSORY_CATEGORY[kind],
             "product_type": "accessory", "attributes": attributes,
             "description": f"{ru}. Совместимость: {compatible}.",
             "description_en": f"{brand} {en}. Works with {compatible}."},
            _colour_variants(f"AC-{_code(brand)[:4]}-{n:04d}", colours, weight_grams=weight),
        )  # fmt: skip
    return out.rows


def product_count(demo_rows: list[dict[str, Any]]) -> int:
    return len({r["product"] for r in demo_rows})


def as_import_rows(demo_rows: list[dict[str, Any]]) -> Iterator[importer.Row]:
    for line, data in enumerate(demo_rows, start=1):
        yield importer.Row(line, data)


async def ensure_structure(uow_factory: Callable[[], UnitOfWork], *, actor: str) -> None:
    """Create the demo attributes, product types and categories that do not exist yet."""
    async with uow_factory() as uow:  # read only; ids taken before the session closes
        ids = {code: row.id for code, row in (await all_attributes(uow.session)).items()}
        have_types = set(await product_types_by_codes(uow.session, PRODUCT_TYPES))
        category_ids = {
            slug: row.id
            for slug, row in (
                await categories_by_slugs(uow.session, [c[0] for c in CATEGORIES])
            ).items()
        }
    for spec in ATTRIBUTES:
        if spec.code not in ids:
            ids[spec.code] = await structure.create_attribute(uow_factory(), actor=actor, spec=spec)
    for code, (name, codes) in PRODUCT_TYPES.items():
        if code not in have_types:
            await structure.create_product_type(
                uow_factory(),
                actor=actor,
                code=code,
                name=name,
                attribute_ids=[ids[c] for c in codes],
            )
    for position, (slug, name, name_en, parent) in enumerate(CATEGORIES):
        if slug not in category_ids:
            category_ids[slug] = await structure.create_category(
                uow_factory(), actor=actor, name=name, name_en=name_en, slug=slug,
                parent_id=category_ids[parent] if parent else None, position=position,
            )  # fmt: skip


async def load(
    uow_factory: Callable[[], UnitOfWork], *, actor: str = "demo"
) -> importer.ImportReport:
    """Structure, then every product through the importer (a re-run reports all unchanged)."""
    await ensure_structure(uow_factory, actor=actor)
    return await importer.import_rows(uow_factory, as_import_rows(rows()), actor=actor)
