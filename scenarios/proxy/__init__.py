"""An embedded Toxiproxy-compatible proxy (issue 6)."""
