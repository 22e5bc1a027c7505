"""Recursive-descent parser for the ``$filter`` grammar the Service Layer accepts.

Precedence, loosest first: ``or``, ``and``, ``not``, comparison. ``not`` applies to the
whole comparison after it (``not A eq 1`` is ``not (A eq 1)``), which is what people mean.
Every malformed input ends in a QueryError naming the 1-based position, never another
exception: length and nesting are bounded before Python's own limits could be reached.
"""

from __future__ import annotations

from typing import Literal as TypingLiteral

from fakesap.odata.errors import QueryError
from fakesap.odata.functions import FUNCTIONS
from fakesap.odata.lexer import FILTER, Token, fail, tokenize
from fakesap.odata.nodes import And, Call, Compare, Expr, Lambda, Literal, Not, Or, Path

MAX_FILTER_BYTES = 8192
MAX_DEPTH = 100

COMPARISONS = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
ARITHMETIC = frozenset({"add", "sub", "mul", "div", "mod", "divby"})
UNSUPPORTED_OPERATORS = frozenset({"in", "has", "isof", "cast"})
KEYWORDS = COMPARISONS | ARITHMETIC | {"and", "or", "not", "true", "false", "null"}


def parse_expression(text: str, version: TypingLiteral["v1", "v2"] = "v1") -> Expr:
    """Parse a ``$filter`` text into a tree; QueryError (and nothing else) if malformed."""
    if not isinstance(text, str):
        raise QueryError(FILTER, "the filter must be text")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILTER_BYTES:
        raise QueryError(
            FILTER, f"the filter is too long ({size} bytes; the limit is {MAX_FILTER_BYTES})"
        )
    if not text.strip():
        raise QueryError(FILTER, "the filter is empty")
    parser = _Parser(tokenize(text, version))
    try:
        return parser.parse()
    except RecursionError:
        raise QueryError(FILTER, f"the filter is nested too deeply (limit {MAX_DEPTH})") from None


def _describe(token: Token) -> str:
    if token.kind == "eof":
        return "the end of the filter"
    return repr(token.text)


class _Parser:
    """One parse over a token list; ``var`` is the innermost lambda variable in scope."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0
        self.var: str | None = None

    # -- token helpers -------------------------------------------------------------
    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.i]
        if token.kind != "eof":
            self.i += 1
        return token

    def is_word(self, token: Token, word: str) -> bool:
        return token.kind == "ident" and token.value == word

    def expect(self, kind: str, what: str, opened: Token | None = None) -> Token:
        token = self.peek()
        if token.kind != kind:
            context = ""
            if opened is not None:
                context = f" to close the '(' opened at position {opened.pos + 1}"
            raise fail(f"expected {what}{context}, found {_describe(token)}", token.pos)
        return self.advance()

    def enter(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise fail(f"the filter is nested too deeply (limit {MAX_DEPTH})", token.pos)

    # -- grammar ------------------------------------------------------------------
    def parse(self) -> Expr:
        expr = self.or_expr()
        token = self.peek()
        if token.kind != "eof":
            raise self.unexpected_after_condition(token)
        return expr

    def or_expr(self) -> Expr:
        items = [self.and_expr()]
        while self.is_word(self.peek(), "or"):
            self.advance()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Expr:
        items = [self.unary()]
        while self.is_word(self.peek(), "and"):
            self.advance()
            items.append(self.unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self) -> Expr:
        token = self.peek()
        if self.is_word(token, "not"):
            self.advance()
            self.enter(token)
            item = self.unary()
            self.depth -= 1
            return Not(item)
        return self.comparison()

    def comparison(self) -> Expr:
        left = self.operand()
        token = self.peek()
        if token.kind == "ident" and token.value in COMPARISONS:
            self.advance()
            right = self.operand()
            return Compare(token.value, left, right, token.pos)
        if _is_condition(left):
            return left
        raise self.missing_operator(left, token)

    def operand(self) -> Expr:
        token = self.peek()
        kind = token.kind
        if kind == "lparen":
            self.advance()
            self.enter(token)
            inner = self.or_expr()
            closing = self.peek()
            if closing.kind != "rparen":
                if closing.kind == "eof":
                    raise fail(
                        f"missing ')' to close the '(' opened at position {token.pos + 1}; "
                        "the filter ends",
                        closing.pos,
                    )
                raise self.unexpected_after_condition(closing, opened=token)
            self.advance()
            self.depth -= 1
            return inner
        if kind == "string":
            self.advance()
            return Literal("string", token.value, token.pos)
        if kind == "number":
            self.advance()
            return Literal("number", token.value, token.pos)
        if kind == "datetime":
            self.advance()
            return Literal("datetime", token.value, token.pos)
        if kind == "ident":
            return self.word(token)
        raise fail(
            f"expected a value, a property or a function, found {_describe(token)}", token.pos
        )

    def word(self, token: Token) -> Expr:
        name: str = token.value
        if name == "true" or name == "false":
            self.advance()
            return Literal("bool", name == "true", token.pos)
        if name == "null":
            self.advance()
            return Literal("null", None, token.pos)
        if name in KEYWORDS:
            raise fail(
                f"expected a value, a property or a function, found the keyword {name!r}",
                token.pos,
            )
        if self.peek(1).kind == "lparen":
            return self.call(token)
        return self.path(token)

    def call(self, token: Token) -> Expr:
        name: str = token.value
        function = FUNCTIONS.get(name)
        if function is None:
            hint = ""
            if name.lower() in FUNCTIONS:
                hint = f" (function names are lower-case: {name.lower()})"
            elif name in ("any", "all"):
                hint = f" ({name} needs a collection: Lines/{name}(d: …))"
            supported = ", ".join(sorted(FUNCTIONS))
            raise fail(f"unknown function {name!r}", token.pos, f"{hint}; supported: {supported}")
        self.advance()
        opened = self.advance()
        self.enter(opened)
        args: list[Expr] = []
        if self.peek().kind != "rparen":
            args.append(self.operand())
            while self.peek().kind == "comma":
                self.advance()
                args.append(self.operand())
        self.expect("rparen", "',' or ')'", opened)
        self.depth -= 1
        if len(args) != len(function.params):
            raise fail(
                f"{name} takes {len(function.params)} argument(s), got {len(args)}", token.pos
            )
        for arg, param in zip(args, function.params, strict=True):
            if isinstance(arg, Literal) and not _literal_fits(arg, param):
                raise fail(f"{name} expects a {param} here, got {arg.kind}", arg.pos)
            if isinstance(arg, Compare | And | Or | Not | Lambda):
                raise fail(f"{name} expects a {param} here, got a condition", token.pos)
        return Call(name, tuple(args), token.pos)

    def path(self, token: Token) -> Expr:
        segments = [token.value]
        self.advance()
        while self.peek().kind == "slash":
            self.advance()
            seg = self.expect("ident", "a property name after '/'")
            if seg.value in ("any", "all") and self.peek().kind == "lparen":
                collection = self.scoped(Path(tuple(segments), token.pos))
                return self.lambda_(seg, collection)
            segments.append(seg.value)
        return self.scoped(Path(tuple(segments), token.pos))

    def scoped(self, path: Path) -> Path:
        """Inside any/all only paths through the lambda variable are supported."""
        if self.var is not None and path.segments[0] != self.var:
            raise fail(
                f"inside any/all, paths must start with the lambda variable {self.var!r} "
                f"(found {path.segments[0]!r})",
                path.pos,
            )
        return path

    def lambda_(self, keyword: Token, collection: Path) -> Expr:
        kind: TypingLiteral["any", "all"] = "any" if keyword.value == "any" else "all"
        opened = self.advance()
        self.enter(opened)
        if self.peek().kind == "rparen" and kind == "any":
            self.advance()
            self.depth -= 1
            return Lambda("any", collection, None, None)
        var = self.expect("ident", "a lambda variable such as d (as in any(d: d/X eq 1))")
        if var.value in KEYWORDS:
            raise fail(f"{var.value!r} cannot be a lambda variable", var.pos)
        self.expect("colon", "':' after the lambda variable")
        outer, self.var = self.var, var.value
        body = self.or_expr()
        self.var = outer
        closing = self.peek()
        if closing.kind != "rparen":
            raise self.unexpected_after_condition(closing, opened=opened)
        self.advance()
        self.depth -= 1
        return Lambda(kind, collection, var.value, body)

    # -- error messages -----------------------------------------------------------
    def unexpected_after_condition(self, token: Token, opened: Token | None = None) -> QueryError:
        if token.kind == "ident" and token.value in COMPARISONS:
            return fail(
                f"unexpected {token.value!r}: comparisons cannot be chained; "
                "combine them with and/or",
                token.pos,
            )
        if token.kind == "rparen" and opened is None:
            return fail("unbalanced ')'", token.pos)
        closing = " or ')'" if opened is not None else ""
        return fail(f"expected 'and', 'or'{closing}, found {_describe(token)}", token.pos)

    def missing_operator(self, left: Expr, token: Token) -> QueryError:
        if token.kind == "ident":
            word: str = token.value
            if word.lower() in COMPARISONS or word.lower() in ("and", "or", "not"):
                return fail(f"unknown operator {word!r} (operators are lower-case)", token.pos)
            if word in ARITHMETIC:
                return fail(f"arithmetic operator {word!r} is not supported by fakesap", token.pos)
            if word in UNSUPPORTED_OPERATORS:
                return fail(f"operator {word!r} is not supported by fakesap", token.pos)
            return fail(f"unknown operator {word!r}; use eq, ne, gt, ge, lt or le", token.pos)
        what = "a value" if isinstance(left, Literal) else "a property or function"
        return fail(
            f"expected a comparison operator (eq, ne, gt, ge, lt, le) after {what}, "
            f"found {_describe(token)}",
            token.pos,
        )


def _is_condition(expr: Expr) -> bool:
    """Can this stand alone as a filter condition (a boolean)?"""
    if isinstance(expr, Compare | And | Or | Not | Lambda):
        return True
    if isinstance(expr, Literal):
        return expr.kind == "bool"
    if isinstance(expr, Call):
        return FUNCTIONS[expr.name].returns == "bool"
    return False


def _literal_fits(arg: Literal, param: str) -> bool:
    if arg.kind == "null" or param == "any":
        return True
    if param == "string":
        return arg.kind == "string"
    if param == "date":
        return arg.kind in ("string", "datetime")
    return True
