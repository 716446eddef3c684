"""Abuse limits enforced before execution: depth, aliases, tokens, directives, page size."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from graphql import ASTValidationRule, DirectiveNode, GraphQLError, ValidationContext
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator

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
    """Extension factories (strawberry builds a fresh instance per request).

    The validation rule classes are built once here, not per request: the validation cache is
    keyed by the rule classes, so fresh classes per request would make every lookup a miss.
    """
    rules: list[type[ASTValidationRule]] = [
        depth_validator(settings.max_query_depth, None, None),
        alias_validator(settings.max_aliases),
        max_directives_rule(settings.max_directives),
    ]
    if not settings.dev_mode:
        rules.append(NoSchemaIntrospectionCustomRule)
    return [
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        partial(AddValidationRules, rules),
    ]


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
