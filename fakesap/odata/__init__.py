"""OData query options for fakesap: ``$filter $select $orderby $top $skip`` and counting.

What the Service Layer does with a collection request's query string, for both flavours:
``/b1s/v1`` (OData v3) and ``/b1s/v2`` (OData v4). Parse once per request with
``parse_query``, run with ``apply_query``; malformed input raises ``QueryError`` only.
"""

from fakesap.odata.compiler import Predicate, compile_filter, parse_filter, path_getter
from fakesap.odata.errors import QueryError
from fakesap.odata.functions import FUNCTIONS
from fakesap.odata.literals import quote_string
from fakesap.odata.options import QueryOptions, parse_query
from fakesap.odata.paging import (
    QueryResult,
    apply_query,
    count_matching,
    next_link,
    page_size_from_prefer,
    project,
)
from fakesap.odata.parser import MAX_DEPTH, MAX_FILTER_BYTES, parse_expression

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_FILTER_BYTES",
    "Predicate",
    "QueryError",
    "QueryOptions",
    "QueryResult",
    "apply_query",
    "compile_filter",
    "count_matching",
    "next_link",
    "page_size_from_prefer",
    "parse_expression",
    "parse_filter",
    "parse_query",
    "path_getter",
    "project",
    "quote_string",
]
