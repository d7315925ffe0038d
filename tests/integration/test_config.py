"""Start-up checks of the configuration: an unknown key, an unknown section or a bad
value stops every program with a non-zero status and a message naming the key and its
line. Each case runs the binary alone on its own temporary directory and ports."""

import subprocess

import pytest

from conftest import BINARIES, MAX_RECIPIENTS, require_built, config_text, pick_ports

PROGRAMS = ["smtpd", "queued", "imapd", "pop3d", "mailctl"]


def run_with(tmp_path, name, edit, marker):
    """Runs `name` with the test config changed by `edit`; returns the result and the
    line number of `marker` in the config."""
    text = edit(config_text(tmp_path / "data", tmp_path, pick_ports()))
    config = tmp_path / "config.toml"
    config.write_text(text)
    args = [str(BINARIES[name]), "--config", str(config)]
    if name == "mailctl":
        args += ["domain", "list"]
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{name} kept running with a bad config")
    line = text[: text.index(marker)].count("\n") + 1
    return r, line


@pytest.mark.parametrize("name", PROGRAMS)
def test_unknown_key_stops_startup(tmp_path, name):
    require_built(name)
    r, line = run_with(tmp_path, name, lambda t: t.replace("[pop3d]\n", "[pop3d]\nno_such_key = 1\n"),
                       "no_such_key")
    assert r.returncode != 0, f"{name} accepted an unknown key: {r.stdout}{r.stderr}"
    assert "no_such_key" in r.stderr, r.stderr
    assert f":{line}:" in r.stderr, f"line {line} not named: {r.stderr}"


@pytest.mark.parametrize("name", PROGRAMS)
def test_unknown_section_stops_startup(tmp_path, name):
    require_built(name)
    r, line = run_with(tmp_path, name, lambda t: t + "\n[frobnicator]\n", "[frobnicator]")
    assert r.returncode != 0
    assert "frobnicator" in r.stderr and f":{line}:" in r.stderr, r.stderr


@pytest.mark.parametrize("name", ["smtpd", "queued"])
def test_bad_value_names_key(tmp_path, name):
    require_built(name)
    text = config_text(tmp_path / "data", tmp_path, pick_ports())
    text = text.replace(f"max_recipients = {MAX_RECIPIENTS}", "max_recipients = 0")
    line = text[: text.index("max_recipients = 0")].count("\n") + 1
    config = tmp_path / "config.toml"
    config.write_text(text)
    try:
        r = subprocess.run([str(BINARIES[name]), "--config", str(config)], capture_output=True, text=True,
                           timeout=10, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{name} kept running with smtpd.max_recipients = 0")
    assert r.returncode != 0
    assert "smtpd.max_recipients" in r.stderr and f":{line}:" in r.stderr, r.stderr
