"""The Service Layer wire format: routing, v1/v2 rendering, journal and error middleware."""
