"""seed_demo never writes the demo users' passwords where a log keeps them.

``make run`` runs seed_demo with its output on the terminal, or wherever the operator sends it
(``make run > run.log``, a service manager's journal). The random passwords go to a 0600 file
under var/ and are printed only to a terminal.
"""

from __future__ import annotations

import stat
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from portal.management.commands.seed_demo import PASSWORDS_FILE, USERS

pytestmark = pytest.mark.django_db


class Terminal(StringIO):
    """What seed_demo's output is when ``make run`` runs in a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    return settings.VAR_DIR


def passwords_in(path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return dict(line.split(" ", 1) for line in lines if line and not line.startswith("#"))


def test_a_log_gets_where_the_passwords_are_never_the_passwords(var_dir):
    log = StringIO()  # a pipe or a file: not a terminal
    call_command("seed_demo", "--small", stdout=log)
    path = var_dir / PASSWORDS_FILE
    passwords = passwords_in(path)
    assert set(passwords) == set(USERS)
    for username, password in passwords.items():
        assert password not in log.getvalue(), f"{username}'s password is in the log"
        assert get_user_model().objects.get(username=username).check_password(password)
    assert str(path) in log.getvalue()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_terminal_sees_the_passwords_once(var_dir):
    terminal = Terminal()
    call_command("seed_demo", "--small", stdout=terminal)
    passwords = passwords_in(var_dir / PASSWORDS_FILE)
    for username, password in passwords.items():
        assert f"{username:<8} {password}" in terminal.getvalue()
    again = Terminal()
    call_command("seed_demo", "--small", stdout=again)
    assert "passwords unchanged" in again.getvalue()
    assert not any(password in again.getvalue() for password in passwords.values())
    assert passwords_in(var_dir / PASSWORDS_FILE) == passwords  # the second run leaves the file alone


def test_a_password_file_left_readable_by_others_is_narrowed(var_dir):
    var_dir.mkdir(parents=True)
    stale = var_dir / PASSWORDS_FILE
    stale.write_text("old\n")
    stale.chmod(0o644)
    call_command("seed_demo", "--small", stdout=StringIO())
    assert stat.S_IMODE(stale.stat().st_mode) == 0o600
    assert set(passwords_in(stale)) == set(USERS)


def test_a_password_given_on_the_command_line_is_not_echoed_nor_written(var_dir):
    out = Terminal()
    call_command("seed_demo", "--small", "--password", "chosen-pass-42", stdout=out)
    assert "chosen-pass-42" not in out.getvalue()
    assert not (var_dir / PASSWORDS_FILE).exists()
    assert get_user_model().objects.get(username="billing").check_password("chosen-pass-42")
