"""Real mail clients against the real daemons: mbsync (isync) syncs an account with a
local Maildir both ways over IMAP STARTTLS, and fetchmail downloads over POP3 STLS, first
keeping mail on the server (a second run fetches nothing new, thanks to UIDL), then
deleting it."""

import os
import re
import subprocess

import helpers


def maildir_messages(folder):
    """{Subject: bytes} of the messages in a Maildir folder (new/ and cur/)."""
    out = {}
    for sub in ("new", "cur"):
        for f in (folder / sub).glob("*"):
            data = f.read_bytes()
            for line in data.split(b"\n"):
                if line.lower().startswith(b"subject:"):
                    out[line.split(b":", 1)[1].strip().decode()] = data
    return out


def test_mbsync_two_way_sync(suite, tmp_path):
    helpers.need_tool("mbsync")
    suite.require("smtpd", "queued", "imapd")
    user = suite.new_user("mbsync")
    password = suite.passwords[user]
    tags = [f"mb{i}-{helpers.token()[:6]}" for i in range(3)]
    for tag in tags:
        helpers.smtp_send(suite.ports["smtp"], "sender@outside.test", [user], helpers.make_message(tag, to=user))
    helpers.imap_wait(suite.ports["imap"], user, password, tags[-1])

    rc, maildir = helpers.write_mbsyncrc(tmp_path, suite, user, "STARTTLS", "*")
    helpers.run_client(["mbsync", "-c", str(rc), "test"], cwd=tmp_path)
    local = maildir_messages(maildir / "INBOX")
    for tag in tags:
        subject = f"test {tag}"
        assert subject in local, f"{subject} not synced; have {sorted(local)}"
        # The Maildir copy is the stored message with LF line ends, our trace headers on top
        # and mbsync's own X-TUID header (its crash-recovery mark) in the header.
        expected = helpers.make_message(tag, to=user).replace(b"\r\n", b"\n")
        copy = re.sub(rb"(?m)^X-TUID: .*\n", b"", local[subject])
        assert copy.endswith(expected), (expected, copy)
    for folder in ("Sent", "Drafts", "Trash", "Junk", "Archive"):
        assert (maildir / folder).is_dir(), f"special-use folder {folder} was not created locally"

    # Local changes: a new message, a flag set on one, another deleted.
    new_tag = "local-" + helpers.token()[:6]
    (maildir / "INBOX" / "new" / "1.local").write_bytes(
        f"From: me@{helpers.DOMAIN}\nSubject: test {new_tag}\n\nwritten locally\n".encode())
    cur = maildir / "INBOX" / "cur"
    newdir = maildir / "INBOX" / "new"
    files = {}
    for f in list(newdir.glob("*,U=*")) + list(cur.glob("*,U=*")):
        for tag in tags:
            if f"test {tag}".encode() in f.read_bytes():
                files[tag] = f
    flagged = files[tags[0]]
    base = flagged.name.split(":2,")[0]
    flagged.rename(cur / (base + ":2,F"))
    files[tags[1]].unlink()
    helpers.run_client(["mbsync", "-c", str(rc), "test"], cwd=tmp_path)

    m = helpers.imap_login(suite.ports["imap"], user, password)
    try:
        assert helpers.imap_find(m, new_tag), "the locally written message was not uploaded"
        assert not helpers.imap_find(m, tags[1]), "the locally deleted message is still on the server"
        uid = next(iter(helpers.imap_find(m, tags[0])))
        typ, data = m.uid("FETCH", str(uid), "(FLAGS)")
        assert b"\\Flagged" in data[0], data
        # A server-side change goes the other way: \Seen on the third message.
        uid3 = next(iter(helpers.imap_find(m, tags[2])))
        assert m.uid("STORE", str(uid3), "+FLAGS", "(\\Seen)")[0] == "OK"
    finally:
        m.logout()
    helpers.run_client(["mbsync", "-c", str(rc), "test"], cwd=tmp_path)
    seen = [f for f in cur.glob("*") if f"test {tags[2]}".encode() in f.read_bytes()]
    assert seen and seen[0].name.endswith("S"), f"\\Seen did not reach the Maildir: {[f.name for f in cur.glob('*')]}"


def test_fetchmail_keep_then_delete(suite, tmp_path):
    helpers.need_tool("fetchmail")
    suite.require("smtpd", "queued", "pop3d")
    user = suite.new_user("fetchmail")
    password = suite.passwords[user]
    tags = [f"fm{i}-{helpers.token()[:6]}" for i in range(2)]
    for tag in tags:
        helpers.smtp_send(suite.ports["smtp"], "sender@outside.test", [user], helpers.make_message(tag, to=user))
    helpers.imap_wait(suite.ports["imap"], user, password, tags[-1])

    mbox = tmp_path / "mbox"
    rc = tmp_path / "fetchmailrc"

    def fetch(options):
        rc.write_text(f"""poll localhost protocol POP3 service {suite.ports['pop3']}
  user "{user}" password "{password}"
  sslproto "TLS1.2+" sslcertck sslcertfile "{suite.cert_dir}/cert.pem"
  {options} mda "cat >> {mbox}"
""")
        os.chmod(rc, 0o600)  # fetchmail refuses a readable rc holding a password
        env = dict(os.environ, HOME=str(tmp_path))
        r = subprocess.run(["fetchmail", "-f", str(rc), "--nosyslog", "-v", "--idfile", str(tmp_path / "ids")],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env)
        # Exit 1 means "no mail": an answer, not an error.
        assert r.returncode in (0, 1), f"fetchmail failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
        return r

    r = fetch("keep")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "STLS" in r.stdout + r.stderr, "fetchmail did not use STLS"
    for tag in tags:
        assert mbox.read_bytes().count(f"test {tag}".encode()) == 1
    size_after_first = mbox.stat().st_size

    r = fetch("keep")  # UIDL tells fetchmail nothing is new
    assert r.returncode == 1, f"second fetch with keep downloaded again:\n{r.stdout}"
    assert mbox.stat().st_size == size_after_first

    r = fetch("nokeep fetchall")  # downloads everything again and deletes it
    assert r.returncode == 0, r.stdout + r.stderr
    for tag in tags:
        assert mbox.read_bytes().count(f"test {tag}".encode()) == 2
    p = helpers.pop3_login(suite.ports["pop3"], user, password)
    try:
        count, _ = p.stat()
    finally:
        p.quit()
    assert count == 0, f"{count} messages left on the server after fetchmail without keep"
