"""Shared kernel (``domain.shared``) and the catalog, pricing and access contexts."""
