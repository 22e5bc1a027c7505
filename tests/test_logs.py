"""Logs are JSON lines with the correlation id, and personal data never appears unmasked."""

from __future__ import annotations

import io
import json

from sapchaos.logs import configure_logging, correlated, get_logger


def test_json_lines_with_correlation_id_and_masked_pii() -> None:
    out = io.StringIO()
    configure_logging("DEBUG", stream=out)
    log = get_logger("test")
    with correlated("wc:42"):
        log.info(
            "order_seen",
            billing={"first_name": "Lucía", "email": "lucia@example.es", "country": "ES"},
            note="contact lucia@example.es please",
            order_id=42,
        )
    line = json.loads(out.getvalue().strip().splitlines()[-1])
    assert line["correlation_id"] == "wc:42"
    assert line["event"] == "order_seen" and line["order_id"] == 42
    text = json.dumps(line, ensure_ascii=False)
    assert "Lucía" not in text and "lucia@example.es" not in text
    assert line["billing"]["first_name"] == "L***a"
    assert "l***s" in line["note"]


def test_correlation_id_is_scoped() -> None:
    out = io.StringIO()
    configure_logging("INFO", stream=out)
    log = get_logger("test")
    with correlated("wc:1"):
        pass
    log.info("outside")
    line = json.loads(out.getvalue().strip().splitlines()[-1])
    assert "correlation_id" not in line


def test_stdlib_log_lines_are_json_with_only_personal_data_masked() -> None:
    import io
    import json
    import logging

    from sapchaos.logs import configure_logging

    buf = io.StringIO()
    configure_logging("INFO", stream=buf)
    try:
        logging.getLogger("aiohttp.server").warning("Unclosed connection to ana@example.com")
    finally:
        configure_logging("INFO")
    line = json.loads(buf.getvalue().strip().splitlines()[-1])
    assert line["logger"] == "aiohttp.server" and line["level"] == "warning"
    assert line["event"].startswith("Unclosed connection to a***")  # readable, e-mail masked
    assert "ana@example.com" not in buf.getvalue()
