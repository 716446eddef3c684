"""GraphQL twin of the catalog context."""
