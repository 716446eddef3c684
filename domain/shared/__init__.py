"""Shared kernel: settings, database plumbing, unit of work, outbox events, money, errors.

Every context imports from here; nothing here imports a context.
"""
