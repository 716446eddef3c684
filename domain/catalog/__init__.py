"""Catalog (PIM): brands, the category tree, product types with typed attribute definitions,
products with attribute values and channel publication, and variants (SKU, barcode, options,
attribute overrides).

Owns tables ``brands``, ``categories``, ``product_types``, ``attribute_definitions``,
``product_type_attributes``, ``products`` and ``variants``. Other contexts reference products and
variants by id and read them through ``domain.catalog.queries``.
"""
