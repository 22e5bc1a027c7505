"""The one error of the query-option layer, rendered by the HTTP layer as an SL 400.

The real Service Layer refuses a malformed ``$filter`` (or ``$top=-1``) with a 400 and an
SL error body; it never answers 500 for a client's bad query.
"""

from __future__ import annotations

from fakesap.errors import SLError


class QueryError(Exception):
    """A client's query option is malformed; ``option`` names it, ``message`` says why.

    ``position`` is the 1-based character position inside the option's text when known;
    the message already mentions it, so ``message`` alone is fit to show a user.
    """

    def __init__(self, option: str, message: str, position: int | None = None) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option
        self.message = message
        self.position = position

    def sl_error(self) -> SLError:
        """The SL error (400, code -1000) fakesap answers for this query error."""
        if self.option == "$filter":
            return SLError.of("invalid_filter", detail=self.message)
        return SLError.of("invalid_query_option", option=self.option, detail=self.message)

    def __repr__(self) -> str:
        return f"QueryError({self.option!r}, {self.message!r})"
