from __future__ import annotations

from tests.conftest import GQL


async def test_locations_page_is_ordered_by_code_with_a_working_cursor(gql: GQL, make_location):
    for code in ["S03", "S01", "WH01", "S02"]:
        await make_location(code)
    query = (
        "query($after: String) { locations(first: 2, after: $after) { "
        "edges { node { code } } pageInfo { hasNextPage endCursor } } }"
    )
    first = await gql(query)
    assert [e["node"]["code"] for e in first["locations"]["edges"]] == ["S01", "S02"]
    assert first["locations"]["pageInfo"]["hasNextPage"] is True
    second = await gql(query, {"after": first["locations"]["pageInfo"]["endCursor"]})
    assert [e["node"]["code"] for e in second["locations"]["edges"]] == ["S03", "WH01"]
    assert second["locations"]["pageInfo"]["hasNextPage"] is False
