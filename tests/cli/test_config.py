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
        ('network = "mainnet"\n', "line 1"),
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
