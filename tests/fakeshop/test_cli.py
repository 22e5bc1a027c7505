"""``sapchaos fakeshop serve`` options map onto ShopConfig."""

from __future__ import annotations

from sapchaos.cli import build_parser


def test_serve_options_build_the_config() -> None:
    from fakeshop.cli import config_from_args

    args = build_parser().parse_args(
        [
            "fakeshop",
            "serve",
            "--port",
            "9",
            "--https",
            "--seed",
            "7",
            "--chaos",
            "hostile",
            "--consumer-key",
            "ck_x",
            "--consumer-secret",
            "cs_x",
            "--magento",
            "--outbox",
            "/tmp/o.db",
        ]
    )
    cfg = config_from_args(args)
    assert (cfg.seed, cfg.chaos_profile, cfg.https, cfg.magento) == (7, "hostile", True, True)
    assert cfg.api_keys[0].consumer_key == "ck_x" and str(cfg.outbox_path) == "/tmp/o.db"
    assert args.func.__name__ == "serve"
