"""GraphQL API: Starlette app, strawberry schema, auth, errors, limits, loaders, CLI.

Nothing imports ``api``; it maps GraphQL to the contexts' services and back.
"""
