"""``$LNCTL_HOME/config.toml`` (issue #12): precedence, errors naming the file and the line,
``lnctl config show`` without secrets."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run


def _write(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text)


def test_precedence_options_environment_file_defaults(home: Path) -> None:
    _write(home, 'network = "signet"\nmax_fee_sat = 0\ntimeout_s = 12\n')
    shown = run(home, "config", "show", "--json").json["settings"]
    assert shown["network"]["value"] == "signet" and "line 1" in shown["network"]["source"]
    assert shown["timeout_s"]["value"] == 12.0 and shown["max_fee_sat"]["value"] == 0
    assert shown["backend"] == {"value": "simulated", "source": "default"}
    env = run(home, "config", "show", "--json", env={"LNCTL_NETWORK": "testnet"}).json
    assert env["settings"]["network"] == {"value": "testnet", "source": "environment LNCTL_NETWORK"}
    opt = run(home, "--network", "regtest", "config", "show", "--json",
              env={"LNCTL_NETWORK": "testnet"}).json  # fmt: skip
    assert opt["settings"]["network"] == {"value": "regtest", "source": "option --network"}
    assert opt["settings"]["home"]["source"] == "environment LNCTL_HOME"


def test_file_defaults_apply_to_pay(home: Path) -> None:
    _write(home, "max_fee_sat = 0\n")
    invoice = run(home, "simulate", "invoice", "--amount", "100", "--json").json["invoice"]
    r = run(home, "pay", invoice, "--json")
    assert r.code == 3 and r.json["error"]["code"] == "FEE_LIMIT_EXCEEDED"
    assert r.json["payment"]["max_fee_msat"] == 0
    ok = run(home, "pay", invoice, "--max-fee", "5", "--json")  # the option wins
    assert ok.code == 0
    _write(home, "timeout_s = 0.2\n")
    slow = run(home, "simulate", "invoice", "--amount", "1", "--json").json["invoice"]
    r = run(home, "pay", slow, "--json", env={"LNCTL_SIM_LATENCY_MS": "3000"})
    assert r.code == 6, r.out


def test_bad_files_name_the_file_and_the_line(home: Path) -> None:
    for text, line in (
        ('backend = "simulated"\nfoo = 1\n', "line 2"),
        ('network = "moon"\n', "line 1"),
        ("timeout_s = -3\n", "line 1"),
        ("timeout_s =\n", "line 1"),
        ('\n\nmax_fee_sat = "a lot"\n', "line 3"),
    ):
        _write(home, text)
        r = run(home, "info", "--json")
        assert r.code == 2 and r.json["error"]["code"] == "CONFIG_INVALID", text
        assert "config.toml" in r.json["error"]["message"] and line in r.json["error"]["message"]


def test_secrets_never_in_the_file_nor_shown(home: Path) -> None:
    _write(home, 'lnbits_admin_key = "0123abcd"\n')
    r = run(home, "info", "--json")
    assert r.code == 2 and "secrets/" in r.json["error"]["hint"]
    _write(home, 'backend = "lnbits"\nlnbits_url = "http://127.0.0.1:9"\n')
    shown = run(home, "config", "show", "--json", env={"LNCTL_LNBITS_ADMIN_KEY": "s3cr3tkey"})
    assert shown.code == 0 and "s3cr3tkey" not in shown.out
    settings = shown.json["settings"]
    assert settings["lnbits_admin_key"] == {
        "value": "set",
        "source": "environment LNCTL_LNBITS_ADMIN_KEY",
    }
    assert settings["backend"]["value"] == "lnbits"


# issue #20 (9) ---------------------------------------------------------------------------------


def test_config_show_redacts_credentials_in_a_url(home: Path) -> None:
    url = "https://user:SECRET@lnbits.example/?api-key=KEY#frag"
    for env, text in (({"LNCTL_LNBITS_URL": url}, ""), ({}, f'lnbits_url = "{url}"\n')):
        if text:
            _write(home, text)
        for mode in (["--json"], []):
            r = run(home, "config", "show", *mode, env=env)
            assert r.code == 0, r.err
            assert "SECRET" not in r.out and "KEY" not in r.out and "frag" not in r.out
            assert "user" not in r.out and "lnbits.example" in r.out
        shown = run(home, "config", "show", "--json", env=env).json["settings"]["lnbits_url"]
        assert shown["value"] == "https://***@lnbits.example/?***#***"


def test_a_bad_url_in_the_file_is_not_echoed(home: Path) -> None:
    _write(home, 'lnbits_url = "ftp://user:SECRET@host/?api-key=KEY"\n')
    r = run(home, "info", "--json")
    assert r.code == 2 and r.json["error"]["code"] == "CONFIG_INVALID"
    assert "SECRET" not in r.out and "KEY" not in r.out and "line 1" in r.out


def test_config_show_sanitizes_every_line(tmp_path: Path) -> None:
    """An escape sequence in LNCTL_HOME (its first line, the config file's path) never reaches
    the terminal."""
    home = tmp_path / "x\x1b[31mred\x07"
    r = run(home, "config", "show")
    assert r.code == 0 and "\x1b" not in r.out and "\x07" not in r.out, r.out
    assert r.out.splitlines()[0].startswith("config file: ")
    assert "\x1b" not in run(home, "config", "show", "--json").out  # JSON escapes it


def test_secret_looking_keys_get_the_secrets_hint(home: Path) -> None:
    for key in ("lightspark_client_secret", "node_password", "api_token", "lnbits_admin_key"):
        _write(home, f'{key} = "s3cr3t"\n')
        r = run(home, "info", "--json")
        assert r.code == 2 and r.json["error"]["code"] == "CONFIG_INVALID", key
        assert "secrets/" in r.json["error"]["hint"] and "s3cr3t" not in r.out, key
    _write(home, 'backendz = "x"\n')
    assert "known keys" in run(home, "info", "--json").json["error"]["hint"]
