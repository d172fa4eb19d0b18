"""Tokens, roles, redaction and the token file, without a service."""

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pgagent_live.config import ConfigError, load_settings
from pgagent_live.security.redaction import Redactor, passwords_of, redact_conninfo
from pgagent_live.security.tokenfile import (
    create_token,
    parse_duration,
    read_tokens,
    revoke_token,
)
from pgagent_live.security.tokens import Authenticator, Principal, Refusal


@pytest.mark.parametrize(
    ("conninfo", "secret"),
    [
        ("host=db password=s3cret-1 user=u", "s3cret-1"),
        ("host=db password = 'with space\\'s' user=u", "with space"),
        ("PASSWORD=Upper-Case-9", "Upper-Case-9"),
        ("sslpassword=key-pass-2 host=db", "key-pass-2"),
        ("postgresql://user:uri-pass-3@db:5432/postgres", "uri-pass-3"),
        ("postgres://user:p%40ss-4@db/postgres", "p%40ss-4"),
        ("postgresql://db/postgres?user=u&password=query-pass-5&sslmode=require", "query-pass-5"),
        ('error near "postgresql://u:in-text-6@[bad/db"', "in-text-6"),
    ],
)
def test_passwords_are_masked_in_every_form(conninfo: str, secret: str) -> None:
    masked = redact_conninfo(conninfo)
    assert secret not in masked
    assert "***" in masked
    assert any(secret in found for found in passwords_of(conninfo))


def test_the_rest_of_a_connection_string_stays_readable() -> None:
    masked = redact_conninfo("host=db port=5433 password='a b' dbname=jobs")
    assert masked == "host=db port=5433 password=*** dbname=jobs"
    uri = redact_conninfo("postgresql://u:pw-pw@db/jobs?password=x&sslmode=require")
    assert uri == "postgresql://u:***@db/jobs?password=***&sslmode=require"


def test_a_redactor_masks_known_secrets_tokens_and_nested_values() -> None:
    redactor = Redactor(["main-token-xyz"])
    redactor.add_conninfo("host=db password='quoted \\'pw\\''")
    text = "auth {'token': 'abc123'} main-token-xyz quoted 'pw' pgl_0123abcd_SECRETsecret"
    masked = redactor.text(text)
    assert "abc123" not in masked
    assert "main-token-xyz" not in masked
    assert "quoted 'pw'" not in masked
    assert "SECRETsecret" not in masked
    assert "pgl_0123abcd_" in masked
    assert redactor.value({"a": ["password=x1x1x1", 3]}) == {"a": ["password=***", 3]}


def test_tokens_open_what_their_role_and_scope_allow(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("# kept\nWEBSOCKET_PORT = 5051\n")
    token_id, token = create_token(path, "operator", ["prod"], timedelta(days=1))
    auth = Authenticator("main", read_tokens(path))

    principal = auth.authenticate(token)
    assert isinstance(principal, Principal)
    assert (principal.token_id, principal.role) == (token_id, "operator")
    assert principal.may("operate")
    assert not principal.may("publish")
    assert principal.sees("prod")
    assert not principal.sees("dev")
    assert auth.authenticate("main") == Principal("main", "admin")
    assert "# kept" in path.read_text()
    assert token not in path.read_text()

    for given, code in [
        (None, "auth_required"),
        ("", "auth_required"),
        (7, "auth_invalid"),
        (token + "x", "auth_invalid"),
        ("pgl_zz", "auth_invalid"),
    ]:
        refused = auth.authenticate(given)
        assert isinstance(refused, Refusal)
        assert refused.code == code

    later = datetime.now(UTC) + timedelta(days=2)
    assert auth.authenticate(token, later) == Refusal(
        "auth_expired",
        f"token {token_id} expired at {read_tokens(path)[token_id].expires.isoformat()}",  # type: ignore[union-attr]
    )
    revoke_token(path, token_id)
    auth.replace_tokens(read_tokens(path))
    lapsed = auth.recheck(principal)
    assert lapsed is not None
    assert lapsed.code == "auth_invalid"
    assert load_settings(path).tokens.keys() == {token_id}


def test_settings_refuse_any_origin_and_half_tls() -> None:
    with pytest.raises(ConfigError, match="ALLOWED_ORIGINS"):
        load_settings(allowed_origins=["*"])
    with pytest.raises(ConfigError, match="TLS_CERT and TLS_KEY"):
        load_settings(tls_cert="/etc/cert.pem")
    with pytest.raises(ConfigError, match="RATE_CALLS"):
        load_settings(rate_calls="lots")
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        load_settings(trusted_proxies=["proxy.example"])


def test_durations() -> None:
    assert parse_duration("30d") == timedelta(days=30)
    assert parse_duration("90m") == timedelta(minutes=90)
    for bad in ["", "d", "0d", "3y", "-1h"]:
        with pytest.raises(ValueError, match="expected a duration"):
            parse_duration(bad)


def test_log_records_are_redacted_whoever_handles_them(caplog: pytest.LogCaptureFixture) -> None:
    from pgagent_live.security.redaction import redact_log_records

    redact_log_records(Redactor(["unit-main-token"]))
    logging.getLogger("some.library").warning(
        "connect %s with %s", "password=pw-42", "unit-main-token"
    )
    assert "pw-42" not in caplog.text
    assert "unit-main-token" not in caplog.text
    assert "password=***" in caplog.text
