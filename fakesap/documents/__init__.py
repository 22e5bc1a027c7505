"""Marketing documents and payments: schema, validation, totals, copy-from-base, stock."""
