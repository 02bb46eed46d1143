"""The unlock prompt against a real Assuan-speaking pinentry program."""

import os
import stat
import sys

import pytest

from hostproc import SCRIPTED_PINENTRY
from qvault.errors import PromptCancelled, PromptError
from qvault.prompt import find_prompt
from qvault.prompt.pinentry import PinentryPrompt


def ask(prompt, **overrides):
    arguments = {"title": "Unlock Qvault", "description": "Line one\nline two 100%", "prompt": "Password:"}
    return prompt.ask(**(arguments | overrides))


@pytest.fixture
def scripted(tmp_path, monkeypatch):
    password_file = tmp_path / "passwords"
    log_file = tmp_path / "pinentry.log"
    monkeypatch.setenv("SCRIPTED_PINENTRY_PASSWORD_FILE", str(password_file))
    monkeypatch.setenv("SCRIPTED_PINENTRY_LOG", str(log_file))
    return password_file, log_file


def write_program(path, body: str):
    path.write_text(f"#!{sys.executable}\n{body}", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_returns_percent_decoded_password(scripted):
    password_file, log_file = scripted
    password_file.write_text("p%ss wörd+100%25\n", encoding="utf-8")
    assert ask(PinentryPrompt(str(SCRIPTED_PINENTRY))) == "p%ss wörd+100%25"


def test_escapes_description(scripted):
    password_file, log_file = scripted
    password_file.write_text("x\n", encoding="utf-8")
    ask(PinentryPrompt(str(SCRIPTED_PINENTRY)), error="Wrong password.")
    log = log_file.read_text(encoding="utf-8")
    assert "SETDESC Line one%0Aline two 100%25" in log
    assert "SETERROR Wrong password." in log
    assert "SETTITLE Unlock Qvault" in log
    assert "SETPROMPT Password:" in log


def test_cancel_raises_cancelled(scripted, monkeypatch):
    monkeypatch.setenv("SCRIPTED_PINENTRY_CANCEL", "1")
    with pytest.raises(PromptCancelled, match="cancelled"):
        ask(PinentryPrompt(str(SCRIPTED_PINENTRY)))


def test_timeout_code_is_cancelled(tmp_path):
    program = write_program(
        tmp_path / "timeout-pinentry",
        "import sys\nprint('OK', flush=True)\n"
        "for line in sys.stdin:\n"
        "    print('ERR 83886142 Timeout' if line.startswith('GETPIN') else 'OK', flush=True)\n",
    )
    with pytest.raises(PromptCancelled, match="timed out"):
        ask(PinentryPrompt(str(program)))


def test_program_exits_midway(tmp_path):
    program = write_program(tmp_path / "dying-pinentry", "print('OK', flush=True)\n")
    with pytest.raises(PromptError, match="exited"):
        ask(PinentryPrompt(str(program)))


def test_other_error_is_prompt_error(tmp_path):
    program = write_program(
        tmp_path / "broken-pinentry",
        "import sys\nprint('OK', flush=True)\n"
        "for line in sys.stdin:\n"
        "    print('ERR 83918950 Inappropriate ioctl for device' if line.startswith('GETPIN') else 'OK', flush=True)\n",
    )
    with pytest.raises(PromptError, match="Inappropriate ioctl"):
        ask(PinentryPrompt(str(program)))


def test_missing_program(tmp_path):
    with pytest.raises(PromptError, match="could not start pinentry"):
        ask(PinentryPrompt(str(tmp_path / "absent")))


def test_find_prompt_uses_environment(monkeypatch):
    monkeypatch.setenv("QVAULT_PINENTRY", str(SCRIPTED_PINENTRY))
    prompt = find_prompt()
    assert isinstance(prompt, PinentryPrompt)
    assert prompt.program == str(SCRIPTED_PINENTRY)


def test_find_prompt_rejects_bad_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("QVAULT_PINENTRY", str(tmp_path / "nothing-here"))
    with pytest.raises(PromptError, match="not an executable program"):
        find_prompt()


def test_find_prompt_no_display_no_pinentry(monkeypatch, tmp_path):
    monkeypatch.delenv("QVAULT_PINENTRY", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PromptError, match="no graphical pinentry"):
        find_prompt()


def test_find_prompt_skips_curses(monkeypatch, tmp_path):
    curses = write_program(tmp_path / "pinentry-curses", "")
    os.symlink(curses, tmp_path / "pinentry")
    monkeypatch.delenv("QVAULT_PINENTRY", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PromptError, match="no graphical pinentry"):
        find_prompt()


def test_find_prompt_graphical_with_display(monkeypatch, tmp_path):
    gnome = write_program(tmp_path / "pinentry-gnome3", "")
    monkeypatch.delenv("QVAULT_PINENTRY", raising=False)
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setenv("PATH", str(tmp_path))
    prompt = find_prompt()
    assert isinstance(prompt, PinentryPrompt)
    assert prompt.program == str(gnome)
