"""What a document asks of the server, worked out in time linear in its length.

A fragment may spread other fragments, each several times: ``F1 { ...F0 ...F0 }``,
``F2 { ...F1 ...F1 }`` ... doubles the expanded document per line, so anything that expands
every spread (a depth or alias count, a cost walker, some of graphql-core's own rules) takes
exponential time on a kilobyte of text. Here each fragment is walked once, in dependency order,
and a spread adds the facts already worked out for its fragment: the expanded number of fields,
the depth, the aliases, the cost and, per response name, the fields answering under it (how
many pairs graphql-core's overlap rule would compare), without expanding anything.

The cost of a field is its weight (api/cost.py) plus the cost of its selection times the number
of items it may return: ``first``/``last`` (capped at the page size; when absent, the
connection's default page), the declared size of a plain list, the number of ``ids`` asked for.
In a connection only ``edges``/``nodes`` count per item; ``totalCount``, ``facets`` and
``pageInfo`` count once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    Visitor,
    get_named_type,
    get_nullable_type,
    is_list_type,
    visit,
)

from api.cost import field_cost

PAGE_ARGUMENTS = ("first", "last")
PER_ITEM = ("edges", "nodes")
DEFAULT_PAGE = 20  # what a connection returns without `first` (api.limits.page_size)


@dataclass(frozen=True, slots=True)
class Facts:
    """One selection set (or fragment, or operation) with every spread expanded."""

    fields: int = 0
    depth: int = 0  # fields with a selection, nested (introspection not counted)
    aliases: int = 0
    cost: int = 0
    # Inside a connection: what `edges`/`nodes` cost for one item (paid per item; `totalCount`,
    # `facets` and `pageInfo` are paid once, in ``cost``).
    item_cost: int = 0

    def __add__(self, other: Facts) -> Facts:
        return Facts(
            fields=self.fields + other.fields,
            depth=max(self.depth, other.depth),
            aliases=self.aliases + other.aliases,
            cost=self.cost + other.cost,
            item_cost=self.item_cost + other.item_cost,
        )


NOTHING = Facts()


@dataclass(frozen=True, slots=True)
class OperationFacts:
    name: str | None
    facts: Facts


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    operations: list[OperationFacts]
    spreads: int  # as written, not expanded
    directives: int
    fields: int  # expanded, over every operation
    aliases: int  # expanded, over every operation
    # Field pairs graphql-core's overlap rule may compare (an upper bound): quadratic in fields
    # repeated under one name, so a short document can keep validation busy for seconds.
    comparisons: int

    def operation(self, name: str | None) -> OperationFacts | None:
        """The operation that runs: the one named, else the first."""
        return next(
            (o for o in self.operations if name is not None and o.name == name),
            self.operations[0] if self.operations else None,
        )


class _Counter(Visitor):
    """Counts spreads and directives; collects the fragments a definition spreads."""

    def __init__(self) -> None:
        super().__init__()
        self.spreads = 0
        self.directives = 0
        self.names: set[str] = set()

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        self.spreads += 1
        self.names.add(node.name.value)

    def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
        self.directives += 1


Level = dict[str, tuple[int, int]]


def _merge(into: Level, other: Level) -> None:
    for name, (m, q) in other.items():
        m0, q0 = into.get(name, (0, 0))
        into[name] = (m0 + m, q0 + q)


class _Walker:
    def __init__(
        self,
        *,
        schema: GraphQLSchema | None,
        variables: Mapping[str, Any],
        max_page_size: int,
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.max_page_size = max_page_size
        self.fragments: dict[str, tuple[Facts, Level]] = {}
        self.comparisons = 0

    def type_named(self, name: str) -> GraphQLNamedType | None:
        return self.schema.get_type(name) if self.schema is not None else None

    def selection_set(self, node: SelectionSetNode, parent: GraphQLNamedType | None) -> Facts:
        facts, level = self.level(node, parent)
        # graphql-core checks every selection set once (OverlappingFieldsCanBeMerged): each
        # pair of fields answering under one name, their sub-selections pair by pair.
        self.comparisons += sum((m * m - q) // 2 for m, q in level.values())
        return facts

    def level(self, node: SelectionSetNode, parent: GraphQLNamedType | None) -> tuple[Facts, Level]:
        """The facts of a selection set and, per response name, the fields answering under it
        (inline fragments and spreads merged): the sum of their sizes and of their squares."""
        total = NOTHING
        level: Level = {}
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                facts = self.field(selection, parent)
                if _is_connection(parent) and selection.name.value in PER_ITEM:
                    facts = replace(facts, cost=0, item_cost=facts.cost)
                total = total + facts
                name = (selection.alias or selection.name).value
                _merge(level, {name: (facts.fields, facts.fields * facts.fields)})
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.type_named(condition.name.value) if condition else parent
                facts, inner_level = self.level(selection.selection_set, inner)
                self.comparisons += sum((m * m - q) // 2 for m, q in inner_level.values())
                total = total + facts
                _merge(level, inner_level)
            elif isinstance(selection, FragmentSpreadNode):
                # Not yet known only inside a fragment cycle, which validation then refuses.
                facts, inner_level = self.fragments.get(selection.name.value, (NOTHING, {}))
                total = total + facts
                _merge(level, inner_level)
        return total, level

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> Facts:
        name = node.name.value
        alias = 1 if node.alias is not None else 0
        definition = None
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            definition = parent.fields.get(name)
        child_type = get_named_type(definition.type) if definition is not None else None
        child = NOTHING
        if node.selection_set is not None:
            child = self.selection_set(node.selection_set, child_type)
        if name.startswith("__"):  # introspection: no depth, no cost (it is refused in production)
            return Facts(fields=1 + child.fields, aliases=alias + child.aliases)
        parent_name = parent.name if parent is not None else ""
        spec = field_cost(parent_name, name)
        items = self.items(node, definition, spec.items)
        if _is_connection(child_type):  # a page: its items times `first`, the rest once
            cost = spec.weight + child.cost + items * child.item_cost
        else:
            cost = spec.weight + items * (child.cost + child.item_cost)
        return Facts(
            fields=1 + child.fields,
            depth=1 + child.depth if node.selection_set else 0,
            aliases=alias + child.aliases,
            cost=cost,
        )

    def items(self, node: FieldNode, definition: GraphQLField | None, declared: int) -> int:
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        for page in PAGE_ARGUMENTS:
            n = self.value(given.get(page))
            if isinstance(n, int) and n > 0:
                return min(n, self.max_page_size)
        if definition is None:
            return declared
        if "first" in definition.args:  # a connection asked without `first`: its default page
            default = definition.args["first"].default_value
            return min(default if isinstance(default, int) else DEFAULT_PAGE, self.max_page_size)
        if is_list_type(get_nullable_type(definition.type)):
            ids = self.value(given.get("ids"))
            if isinstance(ids, list):
                return max(1, min(len(ids), self.max_page_size))
        return declared

    def value(self, node: ValueNode | None) -> Any:
        if isinstance(node, IntValueNode):
            return int(node.value)
        if isinstance(node, ListValueNode):
            return list(node.values)
        if isinstance(node, VariableNode):
            return self.variables.get(node.name.value)
        return None


def _is_connection(type_: GraphQLNamedType | None) -> bool:
    return (
        isinstance(type_, GraphQLObjectType)
        and "edges" in type_.fields
        and ("pageInfo" in type_.fields)
    )


def _dependency_order(spreads: Mapping[str, set[str]]) -> list[str]:
    """Fragments so that each comes after those it spreads (Kahn). Fragments in a cycle, or
    spreading one, are left out: the document is invalid and validation says why."""
    waiting = {name: {s for s in used if s in spreads} for name, used in spreads.items()}
    users: dict[str, list[str]] = {name: [] for name in spreads}
    for name, used in waiting.items():
        for s in used:
            users[s].append(name)
    ready = [name for name, used in waiting.items() if not used]
    order: list[str] = []
    while ready:
        name = ready.pop()
        order.append(name)
        for user in users[name]:
            waiting[user].discard(name)
            if not waiting[user]:
                ready.append(user)
    return order


def _with_defaults(
    operation: OperationDefinitionNode, variables: Mapping[str, Any]
) -> Mapping[str, Any]:
    """The variables as the resolvers will see them: a declared default fills an absent one."""
    merged = dict(variables)
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if merged.get(name) is None and definition.default_value is not None:
            default = definition.default_value
            if isinstance(default, IntValueNode):
                merged[name] = int(default.value)
            elif isinstance(default, ListValueNode):
                merged[name] = list(default.values)
    return merged


def _settled(facts: Facts) -> Facts:
    return replace(facts, cost=facts.cost + facts.item_cost, item_cost=0)


def _root(schema: GraphQLSchema | None, kind: OperationType) -> GraphQLObjectType | None:
    if schema is None:
        return None
    if kind is OperationType.MUTATION:
        return schema.mutation_type
    if kind is OperationType.SUBSCRIPTION:
        return schema.subscription_type
    return schema.query_type


def analyse(
    document: DocumentNode,
    *,
    schema: GraphQLSchema | None = None,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
    max_page_size: int = 100,
) -> DocumentFacts:
    """Facts of every operation of ``document``, each fragment walked once.

    Costs use the variables (and declared defaults) of the operation that runs. Without
    ``schema`` every field weighs 1 and plain lists count once (unit cost).
    """
    counter = _Counter()
    visit(document, counter)
    spreads: dict[str, set[str]] = {}
    fragments: dict[str, FragmentDefinitionNode] = {}
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            used = _Counter()
            visit(definition, used)
            spreads[definition.name.value] = used.names
            fragments[definition.name.value] = definition
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = next(
        (o for o in operations if o.name is not None and o.name.value == operation_name),
        operations[0] if operations else None,
    )
    walker = _Walker(
        schema=schema,
        variables=_with_defaults(chosen, variables or {}) if chosen else {},
        max_page_size=max_page_size,
    )
    for name in _dependency_order(spreads):
        fragment = fragments[name]
        fragment_type = walker.type_named(fragment.type_condition.name.value)
        facts, level = walker.level(fragment.selection_set, fragment_type)
        walker.comparisons += sum((m * m - q) // 2 for m, q in level.values())
        walker.fragments[name] = (facts, level)
    results = [
        OperationFacts(
            name=operation.name.value if operation.name else None,
            facts=walker.selection_set(operation.selection_set, _root(schema, operation.operation)),
        )
        for operation in operations
    ]
    return DocumentFacts(
        operations=results,
        spreads=counter.spreads,
        directives=counter.directives,
        fields=sum(o.facts.fields for o in results),
        aliases=sum(o.facts.aliases for o in results),
        comparisons=walker.comparisons,
    )


__all__ = ["DocumentFacts", "Facts", "OperationFacts", "analyse"]
