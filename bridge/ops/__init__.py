"""Operations: the authenticated ``/ops`` dashboard and JSON API, the audit hash chain, and
the key figures behind ``/metrics`` (see docs/operations.md)."""
