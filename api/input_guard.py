"""One guard at the edge for every argument of every field: bad input is a userError, never a bug.

Before anything executes (so a refused field runs no SQL), the operation's arguments are coerced
exactly as graphql-core will coerce them and walked against the schema's input types:

- strings (``String``, ``ID``, strings inside ``JSON``) must be valid text: no NUL character
  (PostgreSQL cannot store it) and no unpaired UTF-16 surrogate (not encodable as UTF-8), and
  no longer than their cap (``MAX_INPUT_CHARS``, larger named exceptions in ``STRING_CAPS``);
- numbers must be finite and within sane bounds (``INT_BOUNDS`` / ``DECIMAL_BOUNDS``, else
  +-1,000,000,000): ``Infinity``, ``1e999`` or 2,147,483,647 points are input mistakes;
- dates must fall in years 1900-2999; ``JSON`` values are bounded in depth and size.

A mutation field whose payload has ``userErrors`` answers them (code ``INVALID``, ``field`` the
input path, e.g. ``lines[0].sku``); any other field gets a top-level error with code
``BAD_USER_INPUT``. Other fields of the same request run as usual.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    execute,
    get_named_type,
    get_nullable_type,
    is_composite_type,
)
from graphql.execution.middleware import MiddlewareManager
from graphql.execution.values import get_argument_values, get_variable_values
from strawberry.extensions import SchemaExtension
from strawberry.utils.await_maybe import await_maybe

from api.errors import UserError

DEFAULT_MAX_CHARS = 1_000
TEXT_MAX_CHARS = 20_000
NOTE_MAX_CHARS = 4_000
INT_LIMIT = 1_000_000_000
QUANTITY_LIMIT = 1_000_000
JSON_MAX_DEPTH = 10
JSON_MAX_NODES = 2_000
YEARS = (1900, 2999)

# Caps by "InputType.field" or "ParentType.field(arg)"; "*.field" matches that field in any
# input type. Values: the most characters allowed. Everything else gets MAX_INPUT_CHARS.
STRING_CAPS: dict[str, int] = {
    "ProductCreateInput.description": TEXT_MAX_CHARS,
    "ProductCreateInput.descriptionEn": TEXT_MAX_CHARS,
    "ProductUpdateInput.description": TEXT_MAX_CHARS,
    "ProductUpdateInput.descriptionEn": TEXT_MAX_CHARS,
    "ConsultationCloseInput.summary": NOTE_MAX_CHARS,
    "*.comment": NOTE_MAX_CHARS,
    "*.note": NOTE_MAX_CHARS,
    "*.reason": NOTE_MAX_CHARS,
    "*.windowOverrideReason": NOTE_MAX_CHARS,
    # JSON documents: the cap applies to every string inside them.
    "*.openingHours": NOTE_MAX_CHARS,
    # Fields stored in short columns: refused by name here rather than by the database.
    "*.currency": 3,
    "*.country": 2,
    "*.region": 16,
    "*.taxClass": 32,
    "*.sku": 64,
    "*.skus": 64,
    "Query.stockCheck(sku)": 64,
    "Query.variant(sku)": 64,
    "*.barcode": 64,
    "*.email": 254,
    "*.phone": 32,
    "*.firstName": 100,
    "*.lastName": 100,
    "*.timezone": 64,
    "*.shippingMethod": 32,
    "*.slug": 200,
    "Query.product(slug)": 200,
    "*.token": 64,
    "*.cartToken": 64,
    "Query.cart(token)": 64,
    "Query.order(number)": 32,
    "*.idempotencyKey": 200,
    "*.documentRef": 200,
    "*.clientSaleId": 100,
    "*.clientEventId": 100,
    "*.sessionId": 100,
    "*.carrier": 64,
    "*.trackingNumber": 100,
    "*.tiers": 32,
    "*.segments": 64,
}

# Inclusive (low, high) bounds for Int and Float inputs, same keys as STRING_CAPS. They refuse
# absurd values only (and negative ones where SQL would choke on them, e.g. a LIMIT): a rule
# such as "a quantity is positive" is the domain's, reported with the input's other problems.
INT_BOUNDS: dict[str, tuple[int, int]] = {
    "*.quantity": (-QUANTITY_LIMIT, QUANTITY_LIMIT),
    "*.countedQuantity": (-QUANTITY_LIMIT, QUANTITY_LIMIT),
    "*.buyQuantity": (-QUANTITY_LIMIT, QUANTITY_LIMIT),
    "*.getQuantity": (-QUANTITY_LIMIT, QUANTITY_LIMIT),
    "PointsAdjustInput.points": (-1_000_000, 1_000_000),
    "TenderInput.points": (-100_000_000, 100_000_000),
    "*.position": (-1_000_000, 1_000_000),
    "*.priority": (-1_000_000, 1_000_000),
    "*.pickupLeadMinutes": (-60 * 24 * 366, 60 * 24 * 366),
    "*.days": (-3_660, 3_660),
    "*.latitude": (-90, 90),
    "*.longitude": (-180, 180),
    "Query.inventoryDiscrepancies(limit)": (1, 1_000),
    "Query.recommendations(first)": (1, 100),
    "Query.consultantAttribution(windowDays)": (1, 366),
    "Query.stockCheck(radiusKm)": (0, 20_000),
    "Query.availability(radiusKm)": (0, 20_000),
}

# Inclusive (low, high) bounds for Decimal inputs. Percentages keep the default here: their
# 0-100 rule is the domain's, which reports it together with the input's other problems.
DECIMAL_BOUNDS: dict[str, tuple[Decimal, Decimal]] = {}
DECIMAL_MAX_PLACES = 12


@dataclass(frozen=True)
class Violation:
    root: str  # response key of the root field it belongs to
    field: str  # input path: "lines[0].sku", "after", "orders.after"
    message: str


def text_problem(value: str, *, cap: int) -> str | None:
    """Why ``value`` cannot be accepted as text, or None."""
    if "\x00" in value:
        return "contains a NUL character (\\u0000); remove control characters and send it again"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return (
            "contains an unpaired UTF-16 surrogate, which is not valid text; "
            "send well-formed Unicode"
        )
    if len(value) > cap:
        return f"is {len(value)} characters long; send at most {cap}"
    return None


def _lookup(table: dict[str, Any], key: str, name: str) -> Any:
    if key in table:
        return table[key]
    return table.get(f"*.{name}")


class _Checker:
    def __init__(self, *, max_chars: int) -> None:
        self.max_chars = max_chars

    def value(
        self, value: Any, type_: GraphQLInputType, *, key: str, name: str, path: str
    ) -> Iterator[tuple[str, str]]:
        """Yields (path, problem) for every bad leaf of an already coerced value."""
        if value is None:
            return
        if isinstance(type_, GraphQLNonNull):
            yield from self.value(value, type_.of_type, key=key, name=name, path=path)
        elif isinstance(type_, GraphQLList):
            items = value if isinstance(value, list | tuple) else [value]
            for i, item in enumerate(items):
                yield from self.value(item, type_.of_type, key=key, name=name, path=f"{path}[{i}]")
        elif isinstance(type_, GraphQLInputObjectType):
            for fname, field in type_.fields.items():
                if isinstance(value, dict):  # graphql-core's coercion keeps schema names
                    inner = value.get(field.out_name or fname)
                else:
                    inner = getattr(value, _python_name(field, fname), None)
                yield from self.value(
                    inner,
                    field.type,
                    key=f"{type_.name}.{fname}",
                    name=fname,
                    path=f"{path}.{fname}" if path else fname,
                )
        elif isinstance(type_, GraphQLScalarType):
            problem = self.scalar(value, type_.name, key=key, name=name)
            if problem is not None:
                yield path, problem

    def scalar(self, value: Any, scalar: str, *, key: str, name: str) -> str | None:
        if scalar == "JSON":
            return self.json(value, cap=_lookup(STRING_CAPS, key, name) or self.max_chars)
        if isinstance(value, str):
            return text_problem(value, cap=_lookup(STRING_CAPS, key, name) or self.max_chars)
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return _number_problem(value, bounds=_lookup(INT_BOUNDS, key, name))
        if isinstance(value, Decimal):
            return _decimal_problem(value, bounds=_lookup(DECIMAL_BOUNDS, key, name))
        if isinstance(value, datetime):
            if not YEARS[0] <= value.year <= YEARS[1]:
                return f"must be a date between the years {YEARS[0]} and {YEARS[1]}"
            return None
        for text in _strings_of(value):  # e.g. a GlobalID: type name and node id
            problem = text_problem(text, cap=self.max_chars)
            if problem is not None:
                return problem
        return None

    def json(self, value: Any, *, cap: int) -> str | None:
        nodes = 0
        stack: list[tuple[Any, int]] = [(value, 0)]
        while stack:
            item, depth = stack.pop()
            nodes += 1
            if nodes > JSON_MAX_NODES or depth > JSON_MAX_DEPTH:
                return (
                    f"is too large a JSON value; send at most {JSON_MAX_NODES} values "
                    f"nested at most {JSON_MAX_DEPTH} deep"
                )
            if isinstance(item, str):
                problem = text_problem(item, cap=cap)
                if problem is not None:
                    return problem
            elif isinstance(item, float) and not math.isfinite(item):
                return "contains a number that is not finite; send finite numbers only"
            elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > 2**53:
                return "contains an integer beyond 2^53; send it as a string"
            elif isinstance(item, dict):
                for k, v in item.items():
                    stack.append((str(k), depth + 1))
                    stack.append((v, depth + 1))
            elif isinstance(item, list):
                stack.extend((v, depth + 1) for v in item)
        return None


def _python_name(field: Any, fname: str) -> str:
    definition = (field.extensions or {}).get("strawberry-definition")
    if definition is not None and getattr(definition, "python_name", None):
        return str(definition.python_name)
    return field.out_name or fname


def _strings_of(value: Any) -> Iterator[str]:
    for attr in ("type_name", "node_id"):
        text = getattr(value, attr, None)
        if isinstance(text, str):
            yield text


def _number_problem(value: float, *, bounds: tuple[int, int] | None) -> str | None:
    low, high = bounds or (-INT_LIMIT, INT_LIMIT)
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number"
    if not low <= value <= high:
        return f"must be between {low} and {high}; got {value}"
    return None


def _decimal_problem(value: Decimal, *, bounds: tuple[Decimal, Decimal] | None) -> str | None:
    low, high = bounds or (Decimal(-INT_LIMIT), Decimal(INT_LIMIT))
    if not value.is_finite():
        return f"must be a finite number between {low} and {high}; got {value}"
    if not low <= value <= high:
        return f"must be a finite number between {low} and {high}; got {value:.6g}"
    if _decimal_places(value) > DECIMAL_MAX_PLACES:
        return f"has more than {DECIMAL_MAX_PLACES} decimal places; round it"
    return None


def _decimal_places(value: Decimal) -> int:
    """Significant decimal places, without context arithmetic (which may trap or round)."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    stripped = list(digits)
    while stripped and stripped[-1] == 0 and exponent < 0:
        stripped.pop()
        exponent += 1
    return max(0, -exponent)


class _Walker:
    """Walks the operation's selections (fragments included) and checks every argument."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        checker: _Checker,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.checker = checker
        self.violations: list[Violation] = []

    def selections(
        self,
        node: SelectionSetNode | None,
        parent: Any,
        *,
        root: str | None,
        prefix: str,
        seen: frozenset[str] = frozenset(),
    ) -> None:
        if node is None:
            return
        for sel in node.selections:
            if isinstance(sel, FieldNode):
                self.field(sel, parent, root=root, prefix=prefix, seen=seen)
            elif isinstance(sel, InlineFragmentNode):
                cond = (
                    self.schema.get_type(sel.type_condition.name.value)
                    if sel.type_condition
                    else parent
                )
                self.selections(sel.selection_set, cond, root=root, prefix=prefix, seen=seen)
            elif isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue
                cond = self.schema.get_type(fragment.type_condition.name.value)
                self.selections(
                    fragment.selection_set, cond, root=root, prefix=prefix, seen=seen | {name}
                )

    def field(
        self, node: FieldNode, parent: Any, *, root: str | None, prefix: str, seen: frozenset[str]
    ) -> None:
        fields = getattr(parent, "fields", None)
        definition = fields.get(node.name.value) if fields else None
        if definition is None:  # __typename and introspection, or a type validation refused
            return
        key = node.alias.value if node.alias else node.name.value
        root_key = root if root is not None else key
        here = f"{prefix}{key}." if root is not None else ""
        if definition.args and node.arguments:
            try:
                args = get_argument_values(definition, node, self.variables)
            except GraphQLError:
                args = {}  # execution reports it
            for arg_name, arg in definition.args.items():
                value = args.get(arg.out_name or arg_name)
                path = "" if arg_name == "input" and root is None else f"{here}{arg_name}"
                for where, problem in self.checker.value(
                    value,
                    arg.type,
                    key=f"{parent.name}.{node.name.value}({arg_name})",
                    name=arg_name,
                    path=path,
                ):
                    shown = where or arg_name
                    self.violations.append(
                        Violation(root=root_key, field=shown, message=f"`{shown}` {problem}.")
                    )
        named = get_named_type(definition.type)
        if is_composite_type(named) and node.selection_set is not None:
            self.selections(
                node.selection_set,
                named,
                root=root_key,
                prefix=here if root is not None else f"{key}.",
                seen=seen,
            )


def find_violations(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    raw_variables: dict[str, Any] | None,
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> list[Violation]:
    variables = get_variable_values(
        schema, operation.variable_definitions or (), raw_variables or {}
    )
    if isinstance(variables, list):  # invalid variables: execution answers them
        return []
    root = schema.get_root_type(operation.operation)
    if root is None:
        return []
    walker = _Walker(schema, fragments, variables, _Checker(max_chars=max_chars))
    walker.selections(operation.selection_set, root, root=None, prefix="")
    return walker.violations


class _Refused:
    """Stands in for a refused mutation's payload: only ``userErrors`` has a value."""

    def __init__(self, errors: list[UserError]) -> None:
        self.errors = errors


class _RefuseMiddleware:
    def __init__(self, violations: list[Violation], operation: str) -> None:
        self.by_root: dict[str, list[Violation]] = {}
        for v in violations:
            self.by_root.setdefault(v.root, []).append(v)
        self.operation = operation

    def resolve(self, next_: Any, root: Any, info: Any, **args: Any) -> Any:
        if isinstance(root, _Refused):
            return root.errors if info.field_name == "userErrors" else _nothing(info.return_type)
        if info.path.prev is not None:
            return next_(root, info, **args)
        found = self.by_root.get(info.path.key)
        if not found:
            return next_(root, info, **args)
        payload = get_nullable_type(info.return_type)
        if (
            self.operation == "mutation"
            and isinstance(payload, GraphQLObjectType)
            and "userErrors" in payload.fields
        ):
            return _Refused(
                [UserError(code="INVALID", field=v.field, message=v.message) for v in found]
            )
        raise GraphQLError(
            " ".join(v.message for v in found),
            extensions={"code": "BAD_USER_INPUT", "fields": [v.field for v in found]},
        )


def _nothing(type_: Any) -> Any:
    """The empty value of a refused payload's other fields (non-null ones cannot be null)."""
    if not isinstance(type_, GraphQLNonNull):
        return None
    inner = type_.of_type
    if isinstance(inner, GraphQLList):
        return []
    return {"Boolean": False, "Int": 0, "Float": 0.0, "String": "", "ID": ""}.get(
        getattr(inner, "name", ""), None
    )


def _operation(document: Any, name: str | None) -> OperationDefinitionNode | None:
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return ops[0] if len(ops) == 1 else None
    return next((o for o in ops if o.name is not None and o.name.value == name), None)


class InputGuard(SchemaExtension):
    """Refuses bad argument values before execution (see the module docstring)."""

    async def on_execute(self):  # type: ignore[no-untyped-def,override]
        ctx = self.execution_context
        document = ctx.graphql_document
        if ctx.result is None and document is not None:
            operation = _operation(document, ctx.operation_name)
            # Subscriptions take only ids, which their resolvers decode as userErrors; strawberry
            # does not let an extension answer for a subscription.
            if operation is not None and operation.operation is not OperationType.SUBSCRIPTION:
                settings = getattr(ctx.context, "settings", None)
                violations = find_violations(
                    ctx.schema._schema,
                    operation,
                    {
                        d.name.value: d
                        for d in document.definitions
                        if isinstance(d, FragmentDefinitionNode)
                    },
                    ctx.variables,
                    max_chars=getattr(settings, "max_input_chars", DEFAULT_MAX_CHARS),
                )
                if violations:
                    ctx.result = await self._refuse(operation, violations)
        yield

    async def _refuse(
        self, operation: OperationDefinitionNode, violations: list[Violation]
    ) -> ExecutionResult:
        ctx = self.execution_context
        result = await await_maybe(
            execute(
                ctx.schema._schema,
                ctx.graphql_document,  # type: ignore[arg-type]
                root_value=ctx.root_value,
                context_value=ctx.context,
                variable_values=ctx.variables,
                operation_name=ctx.operation_name,
                middleware=MiddlewareManager(
                    _RefuseMiddleware(violations, operation.operation.value)
                ),
            )
        )
        return result  # type: ignore[no-any-return]
