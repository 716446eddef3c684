"""Load and contention benchmarks: ``python -m bench <scenario>`` (see bench/README.md).

A scenario is a module ``bench/scenarios/<name>.py`` exposing ``SCENARIO = Scenario(...)``.
This package's surface is what such a module needs; it stays light because the load
generator process imports it too.
"""

from bench.loop import measure
from bench.model import (
    Case,
    CaseContext,
    CaseResult,
    CustomCase,
    Data,
    HttpCase,
    Request,
    Scenario,
    graphql,
    graphql_ok,
)
from bench.servers import runtime

__all__ = [
    "Case",
    "CaseContext",
    "CaseResult",
    "CustomCase",
    "Data",
    "HttpCase",
    "Request",
    "Scenario",
    "graphql",
    "graphql_ok",
    "measure",
    "runtime",
]
