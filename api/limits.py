"""Abuse limits enforced before execution: size, depth, aliases, spreads, directives, tokens,
cost, page size; and no schema hints in production.

The document is measured by one pass that walks each fragment once (api/complexity.py) and is
refused before graphql-core's own validation runs: some of its rules, like the depth and alias
counts of strawberry, expand every fragment spread, and a kilobyte of fragments spreading each
other twice expands to millions of fields. Only a document within the limits is validated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache, partial
from typing import Any

import strawberry
from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, validate
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types import ExecutionContext

from api.complexity import DocumentFacts, analyse
from domain.access.documents import REQUIRED, must_send_id, text_refused_message
from domain.access.model import Principal
from domain.shared.errors import ValidationFailed
from domain.shared.settings import Settings

SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
UNKNOWN_DIRECTIVE = re.compile(r"^Unknown directive '@([^']*)'")


def _too_complex(message: str, **extensions: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "DOCUMENT_TOO_COMPLEX", **extensions})


def document_errors(facts: DocumentFacts, settings: Settings) -> list[GraphQLError]:
    """What makes a document too big to validate or run; empty when it is within the limits."""
    errors = []
    if facts.spreads > settings.max_fragment_spreads:
        errors.append(
            _too_complex(
                f"The document spreads fragments {facts.spreads} times; at most "
                f"{settings.max_fragment_spreads} are allowed. Spread each fragment once, or "
                "split the document into several requests."
            )
        )
    if facts.fields > settings.max_fields:
        errors.append(
            _too_complex(
                f"The document selects {facts.fields} fields once its fragments are expanded; "
                f"at most {settings.max_fields} are allowed. Spread fragments fewer times, or "
                "split the document into several requests."
            )
        )
    if facts.comparisons > settings.max_overlap_checks:
        errors.append(
            _too_complex(
                "The document selects the same fields under the same names too many times "
                f"(checking that they agree takes {facts.comparisons} comparisons; at most "
                f"{settings.max_overlap_checks} are allowed). Select each field once per "
                "selection set, and spread each fragment once."
            )
        )
    for operation in facts.operations:
        if operation.facts.depth > settings.max_query_depth:
            errors.append(
                _too_complex(
                    f"'{operation.name or 'anonymous'}' exceeds maximum operation depth of "
                    f"{settings.max_query_depth}"
                )
            )
    if facts.aliases > settings.max_aliases:
        errors.append(
            _too_complex(
                f"{facts.aliases} aliases found (fragments counted each time they are spread). "
                f"Allowed: {settings.max_aliases}; split the document into several requests."
            )
        )
    if facts.directives > settings.max_directives:
        errors.append(
            _too_complex(
                f"The document uses more than {settings.max_directives} directives; split it."
            )
        )
    return errors


def cost_error(
    facts: DocumentFacts, *, operation_name: str | None, limit: int
) -> GraphQLError | None:
    """The operation that would run costs more than ``limit`` (0: no limit)."""
    operation = facts.operation(operation_name)
    if limit <= 0 or operation is None or operation.facts.cost <= limit:
        return None
    cost = operation.facts.cost
    return GraphQLError(
        f"This operation costs {cost} points; at most {limit} are allowed per request. Ask for "
        "smaller pages (`first`), fewer aliases or fewer availability and price fields, or "
        "split it into several requests.",
        extensions={"code": "QUERY_TOO_EXPENSIVE", "cost": cost, "limit": limit},
    )


@lru_cache(maxsize=2048)
def validate_cached(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> list[GraphQLError]:
    # Clients repeat the same few documents: validate each once per process. The key holds the
    # rule classes, which are built once (limit_extensions), so lookups hit.
    return validate(
        schema,
        document,
        (*rules, MaybeNullValidationRule, OneOfInputValidationRule),
        hide_suggestions=hide_suggestions,
    )


def _one_unknown_directive_error(errors: Sequence[GraphQLError]) -> list[GraphQLError]:
    """Ten unknown directives are one mistake: one error naming them, not ten."""
    unknown = [(e, m.group(1)) for e in errors if (m := UNKNOWN_DIRECTIVE.match(e.message))]
    if len(unknown) < 2:
        return list(errors)
    names = list(dict.fromkeys(name for _, name in unknown))
    listed = ", ".join(f"'@{n}'" for n in names[:5])
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    merged: GraphQLError | None = GraphQLError(
        f"Unknown directives {listed}{more} ({len(unknown)} uses); remove them.",
        nodes=[node for e, _ in unknown[:5] for node in e.nodes or ()],
    )
    dropped = {id(e) for e, _ in unknown}
    out: list[GraphQLError] = []
    for error in errors:
        if id(error) not in dropped:
            out.append(error)
        elif merged is not None:
            out.append(merged)  # where the first unknown directive was reported
            merged = None
    return out


class DocumentLimits(SchemaExtension):
    """Measures the document (linear time) and refuses it when over a limit; only then runs
    graphql-core's validation (cached), without suggestions in production."""

    def __init__(self, *, settings: Settings) -> None:
        self.settings = settings

    def on_validate(self) -> Iterator[None]:
        ctx: ExecutionContext = self.execution_context
        assert ctx.graphql_document is not None
        # Set even when empty: strawberry validates only when no extension has.
        ctx.pre_execution_errors = self._errors(ctx)
        yield

    def _errors(self, ctx: ExecutionContext) -> list[GraphQLError]:
        settings = self.settings
        document = ctx.graphql_document
        assert document is not None
        schema = ctx.schema._schema
        trusted = getattr(ctx.context, "trusted_document", None)
        mode = settings.trusted_documents
        if (
            trusted is None
            and mode in ("anonymous-only", "only")
            and must_send_id(mode, getattr(ctx.context, "principal", None) or Principal())
        ):
            # HTTP refuses text before this; websocket subscriptions and batches end here.
            return [GraphQLError(text_refused_message(mode), extensions={"code": REQUIRED})]
        if trusted is not None:
            # A trusted document (api/trusted_documents.py) passed the limits and validation
            # when this process loaded it; only its cost depends on the variables.
            if settings.dev_mode:
                return []
            facts = trusted.facts(
                schema=schema,
                operation_name=ctx.operation_name,
                variables=ctx.variables if isinstance(ctx.variables, dict) else None,
                max_page_size=settings.max_page_size,
            )
            error = cost_error(
                facts, operation_name=ctx.operation_name, limit=settings.max_query_cost
            )
            return [error] if error else []
        facts = analyse(
            document,
            schema=schema,
            operation_name=ctx.operation_name,
            variables=ctx.variables if isinstance(ctx.variables, dict) else None,
            max_page_size=settings.max_page_size,
        )
        if errors := document_errors(facts, settings):
            return errors
        errors = _one_unknown_directive_error(
            validate_cached(schema, document, ctx.validation_rules, not settings.dev_mode)
        )
        if errors:
            return errors
        if not settings.dev_mode:
            limit = settings.max_query_cost
            if error := cost_error(facts, operation_name=ctx.operation_name, limit=limit):
                return [error]
        return []


class QuietSchema(strawberry.Schema):
    """The schema; with suggestions disabled (production) no error hints at names it has.

    graphql-core leaves "Did you mean" out of validation and variable coercion when told to
    (``hide_suggestions``); strawberry passes it to neither, and subscriptions take no extra
    arguments, so any suggestion left is also cut from the messages here.
    """

    def _get_custom_context_kwargs(
        self, operation_extensions: dict[str, Any] | None = None, *, sync: bool = False
    ) -> dict[str, Any]:
        kwargs = super()._get_custom_context_kwargs(operation_extensions, sync=sync)
        if self.config.disable_field_suggestions:
            kwargs["hide_suggestions"] = True
        return kwargs

    def _process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        if self.config.disable_field_suggestions:
            for error in errors:
                error.message = SUGGESTION.sub("", error.message)
        super()._process_errors(errors, execution_context)


def limit_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Extension factories (strawberry builds a fresh instance per request).

    The validation rule classes are built once here, not per request: the validation cache is
    keyed by the rule classes, so fresh classes per request would make every lookup a miss.
    """
    rules: list[type[ASTValidationRule]] = []
    if not settings.dev_mode:
        rules.append(NoSchemaIntrospectionCustomRule)
    return [
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        partial(AddValidationRules, rules),
        partial(DocumentLimits, settings=settings),
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
