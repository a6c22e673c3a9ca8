"""PostgreSQL passwords never shown: redact_secrets parses URLs and keyword strings with
the real parsers, and the real CLI's errors about a --db never repeat the password."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from frontwatch.errors import redact_secrets

# (--db value, the secret that must never be shown)
LEAKS = [
    ("postgresql://u:se'cret@127.0.0.1:1/db", "se'cret"),
    ('postgresql://u:SEC"RET@h:x/db', "SEC"),
    ("postgresql://u:sec ret@127.0.0.1:1/db", "sec ret"),
    ("host=x password='SECRET", "SECRET"),
    ("host=x password=SECRET'PW dbname=y", "PW"),
    ("host=127.0.0.1 port=1 password='it\\'s SECRET' dbname=x", "SECRET"),
    ("port=1 host=127.0.0.1 password=SECRET\\ PW dbname=x", "PW"),
    ("postgresql://u:a/b@127.0.0.1:1/db", "a/b"),
    ("postgresql://u:p%40ss@127.0.0.1:1/db?password=QSECRET", "QSECRET"),
    ("postgresql://u:TOPSECRET@127.0.0.1:1/db", "TOPSECRET"),
    ("host=127.0.0.1 port=1 dbname=x password=TOPSECRET", "TOPSECRET"),
]


@pytest.mark.parametrize(("db", "secret"), LEAKS)
def test_redact_secrets_hides_the_password(db: str, secret: str) -> None:
    shown = redact_secrets(db)
    assert secret not in shown
    assert "***" in shown


@pytest.mark.parametrize(("db", "kept"), [
    ("postgresql://u:pw@db.example:5432/fw", "postgresql://u:***@db.example:5432/fw"),
    ("postgresql://u@db.example/fw", "postgresql://u@db.example/fw"),
    ("/data/store.sqlite", "/data/store.sqlite"),
])
def test_redact_secrets_keeps_what_is_not_secret(db: str, kept: str) -> None:
    assert redact_secrets(db) == kept


def test_a_message_about_an_unparsable_string_drops_libpq_quotes() -> None:
    db = "postgresql://u:sec ret@127.0.0.1:1/db"
    message = 'unexpected spaces found in "sec ret", use percent-encoded spaces'
    assert "sec ret" not in redact_secrets(message, conninfo=db)


@pytest.mark.parametrize(("db", "secret"), LEAKS)
def test_the_cli_never_shows_the_password(db: str, secret: str) -> None:
    env = {**os.environ, "PGCONNECT_TIMEOUT": "2"}
    env.pop("FRONTWATCH_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "frontwatch", "--db", db, "snapshots"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode in (1, 2), done.stderr
    assert "Traceback" not in done.stderr
    assert secret not in done.stdout + done.stderr
