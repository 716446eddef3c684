"""Catalog failures with stable codes."""

from domain.shared.errors import Conflict, NotFound


class DuplicateSku(Conflict):
    code = "DUPLICATE_SKU"


class DuplicateBarcode(Conflict):
    code = "DUPLICATE_BARCODE"


class DuplicateSlug(Conflict):
    code = "DUPLICATE_SLUG"


class CatalogObjectNotFound(NotFound):
    code = "NOT_FOUND"
