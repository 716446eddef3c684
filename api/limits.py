"""Abuse limits enforced before execution: depth, aliases, tokens, directives, page size."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from graphql import ASTValidationRule, DirectiveNode, GraphQLError, ValidationContext
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from domain.shared.errors import ValidationFailed
from domain.shared.settings import Settings


def max_directives_rule(limit: int) -> type[ASTValidationRule]:
    class MaxDirectivesRule(ASTValidationRule):
        """Rejects documents with more than ``limit`` directive uses (directive overloading)."""

        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.count = 0

        def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
            self.count += 1
            if self.count == limit + 1:
                self.report_error(
                    GraphQLError(f"The document uses more than {limit} directives; split it.", node)
                )

    return MaxDirectivesRule


def limit_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Extension factories (strawberry builds a fresh instance per request)."""
    directives_rule = max_directives_rule(settings.max_directives)
    extensions: list[Callable[[], SchemaExtension]] = [
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        partial(QueryDepthLimiter, max_depth=settings.max_query_depth),
        partial(MaxAliasesLimiter, max_alias_count=settings.max_aliases),
        partial(AddValidationRules, [directives_rule]),
    ]
    if not settings.dev_mode:
        extensions.append(DisableIntrospection)
    return extensions


def page_size(first: int | None, *, maximum: int, default: int = 20) -> int:
    if first is None:
        return min(default, maximum)
    if first < 1 or first > maximum:
        raise ValidationFailed(
            f"`first` must be between 1 and {maximum}; page with `after`.",
            field="first",
            code="PAGE_SIZE",
        )
    return first
