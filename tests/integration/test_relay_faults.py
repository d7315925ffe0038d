"""The relay against far ends that misbehave: one that takes the TCP connection and then
says nothing (before the greeting, after DATA's 354, after the final dot), one SIGKILLed
while our DATA streams in, and the per-destination rate limit seen in the far end's
receive times. The far end is relay_far_end.py (FarEnd in relay_env.py), which logs every
event with its time; queued's timeouts are shortened in the fixture (RELAY_TIMEOUTS).

Each case checks the three records: what the far end got (count per recipient of the
messages it answered with 250), what `mailctl queue list --json` said meanwhile, and the
queued log line with the reply recorded for the recipient. The replies recorded:
  stall before the greeting: "451 4.4.2 127.0.0.1: timed out waiting for the reply to
    the greeting";
  stall after the final dot: "451 4.4.2 127.0.0.1: timed out waiting for the reply to the
    end of the message";
  stall after 354 while we send: "451 4.4.2 127.0.0.1: connection lost or timed out
    sending the message";
  far end killed mid-DATA: the same, or "lost connection waiting for the reply to the end
    of the message" when the kill lands after our last write;
and the far end's "250 2.0.0 Ok: queued as ..." on the retry.
"""

import re
import signal
import time
from pathlib import Path

from conftest import report_figure
from helpers import token, wait_until
from relay_env import (PACED_RATE, RELAY_TIMEOUTS, queue_entries, relay,  # noqa: F401
                       send_authenticated, submit_many)


def relay_lines(sender, rcpt):
    """queued's "relay" log lines (one per attempt) for `rcpt`."""
    log = Path(sender.logs["queued"]).read_text(errors="replace")
    return [ln for ln in log.splitlines() if " event=relay " in ln and f"to={rcpt}" in ln]


def reply_of(line):
    m = re.search(r'reply="([^"]*)"', line) or re.search(r"reply=(\S+)", line)
    return m.group(1) if m else ""


def deferred_replies(sender, rcpt):
    return [reply_of(ln) for ln in relay_lines(sender, rcpt) if "verdict=deferred" in ln]


def queue_seen(sender, rcpt):
    """Polls `mailctl queue list --recipient` until the recipient leaves the queue; returns
    every (attempts, state, last_reply) it showed on the way."""
    seen = []

    def gone():
        entries = queue_entries(sender, "--recipient", rcpt)
        for e in entries:
            for r in e["recipients"]:
                row = (r["attempts"], r["state"], r["last_reply"])
                if row not in seen:
                    seen.append(row)
        return entries == []

    return gone, seen


def deliver_after_fault(relay, domain, far_options, message_lines=3, rcpts=1, deadline=30):
    """Restarts the far end with `far_options`, submits one message tagged for `rcpts`
    recipients at `domain`, and waits until the queue is empty again. Returns (tag,
    recipients, what the queue showed, seconds until the queue emptied)."""
    sender, _, _, far = relay
    far.stop()
    far.start(*far_options)
    tag = f"{domain.split('.')[0]}-{token()}"
    recipients = [f"r{i}-{token()[:6]}@{domain}" for i in range(rcpts)]
    assert send_authenticated(sender, [(recipients, tag)], message_lines) == [{}]
    start = time.monotonic()
    gone, seen = queue_seen(sender, recipients[0])
    done, _ = wait_until(gone, deadline=deadline, interval=0.1)
    took = time.monotonic() - start
    assert done, (seen, far.events()[-10:])
    return tag, recipients, seen, took


def assert_once_each(far, tag, recipients):
    """Every recipient got the message exactly once with a 250, also a moment later (a
    retry racing the last completion would show here)."""
    time.sleep(1)
    assert far.per_recipient(tag) == {r.lower(): 1 for r in recipients}, far.messages(tag)


def test_far_end_silent_before_the_greeting_times_out_and_is_retried(relay):
    sender, _, _, far = relay
    tag, (rcpt,), seen, took = deliver_after_fault(
        relay, "stall.test", ["--stall", "greeting", "--stall-connections", "1"])
    # The far end: connection 1 was held without a greeting until queued gave up after
    # greeting_timeout (it closed, not us); connection 2 got the message.
    ev = {e["event"]: e for e in far.events("connect", "closed") if e["conn"] == 1}
    waited = ev["closed"]["t"] - ev["connect"]["t"]
    assert RELAY_TIMEOUTS["greeting_timeout"] - 0.5 <= waited <= RELAY_TIMEOUTS["greeting_timeout"] + 5
    assert_once_each(far, tag, [rcpt])
    assert far.messages(tag)[0]["conn"] >= 2
    # queued recorded the timeout for the recipient as a 4xx, then retried.
    replies = deferred_replies(sender, rcpt)
    assert replies and replies[0].startswith("451 4.4.2"), relay_lines(sender, rcpt)
    assert "timed out waiting for the reply to the greeting" in replies[0], replies
    assert any(a >= 1 and st == "pending" and r.startswith("4") for a, st, r in seen), seen
    delivered = [ln for ln in relay_lines(sender, rcpt) if "verdict=delivered" in ln]
    assert len(delivered) == 1 and "250 2.0.0 Ok: queued as" in reply_of(delivered[0]), delivered


def test_far_end_silent_after_the_final_dot_times_out_and_is_retried(relay):
    sender, _, _, far = relay
    tag, (rcpt,), seen, _ = deliver_after_fault(relay, "dot.test", ["--stall", "dot"])
    # The far end had the whole message once without answering (RFC 5321 4.5.3.2.6: it
    # may or may not be delivered, so it is retried), then once with a 250.
    (unanswered,) = far.messages(tag, "unanswered")
    closed = [e for e in far.events("closed") if e["conn"] == unanswered["conn"]]
    waited = closed[0]["t"] - unanswered["t"]
    assert RELAY_TIMEOUTS["data_done_timeout"] - 0.5 <= waited <= RELAY_TIMEOUTS["data_done_timeout"] + 5
    assert_once_each(far, tag, [rcpt])
    replies = deferred_replies(sender, rcpt)
    assert replies, relay_lines(sender, rcpt)
    assert replies[0].startswith("451 4.4.2"), replies
    assert "timed out waiting for the reply to the end of the message" in replies[0], replies
    # Deferred with a 4xx in the queue meanwhile (for about retry_delay: 1 s).
    assert any(a >= 1 and st == "pending" and r.startswith("4") for a, st, r in seen), seen


def test_far_end_that_stops_reading_during_data_times_out_and_is_retried(relay):
    """354, then the far end reads nothing more (a small receive buffer, a message larger
    than the socket buffers): queued's data_block_timeout ends the write."""
    sender, _, _, far = relay
    lines = 6 * 1024 * 1024 // 56  # about 6 MB: more than the 4 MB tcp_wmem maximum
    tag, (rcpt,), seen, _ = deliver_after_fault(
        relay, "midsend.test", ["--stall", "data", "--rcvbuf", "4096"], message_lines=lines)
    (stalled,) = [e for e in far.events("stalled") if e["where"] == "data"]
    assert_once_each(far, tag, [rcpt])
    (got,) = far.messages(tag)
    assert got["conn"] > stalled["conn"] and got["size"] > 6_000_000, got
    replies = deferred_replies(sender, rcpt)
    assert replies and replies[0].startswith("451 4.4.2"), relay_lines(sender, rcpt)
    assert "timed out sending the message" in replies[0], replies
    assert any(a >= 1 and st == "pending" and r.startswith("4") for a, st, r in seen), seen


def test_far_end_killed_mid_data_loses_nothing_and_delivers_once(relay):
    """A slow far end is SIGKILLed while a 3 MB message for three recipients streams in,
    and started again: the message arrives once per recipient."""
    sender, _, _, far = relay
    far.stop()
    far.start("--read-delay", "0.05", "--rcvbuf", "65536")
    tag = "kill-" + token()
    rcpts = [f"k{i}-{token()[:6]}@kill.test" for i in range(3)]
    assert send_authenticated(sender, [(rcpts, tag)], 3 * 1024 * 1024 // 56) == [{}]

    def streaming():
        starts = [e["conn"] for e in far.events("data_start") if e["rcpts"][0] == rcpts[0].lower()]
        return starts and any(e["conn"] == starts[0] and e["octets"] >= 512 * 1024
                              for e in far.events("data_bytes"))

    ok, _ = wait_until(streaming, deadline=20, interval=0.05)
    assert ok, far.events()[-10:]
    far.stop(signal.SIGKILL)
    killed_at = time.monotonic()
    assert not far.messages(tag)  # it died before the final dot
    far.start()
    gone, seen = queue_seen(sender, rcpts[0])
    done, _ = wait_until(gone, deadline=30, interval=0.1)
    assert done, (seen, far.events()[-10:])
    assert_once_each(far, tag, rcpts)
    for r in rcpts:
        replies = deferred_replies(sender, r)
        assert replies and replies[0].startswith("451 4.4.2"), relay_lines(sender, r)
        assert ("sending the message" in replies[0] or
                "lost connection waiting for the reply to the end" in replies[0]), replies
    assert any(a >= 1 and st == "pending" for a, st, _ in seen), seen
    report_figure(f"relay: far end killed mid-DATA: delivered {time.monotonic() - killed_at:.1f} s later")


def test_destination_rate_spaces_deliveries_and_other_domains_go_at_once(relay):
    """[relay.destination_limits] "paced.test" = { rate = 60 }: one message a second there
    (the far end's receive times are about 1 s apart), while unpaced.test, to the same far
    end, gets its five at once."""
    sender, _, _, far = relay
    far.stop()
    far.start()
    run = token()[:8]
    paced = [f"rate-{run}-p{i}-end" for i in range(5)]  # no tag contains another
    unpaced = [f"rate-{run}-u{i}-end" for i in range(5)]
    # Both domains' messages in the queue at once: queued stopped meanwhile.
    submit_many(sender, [(["p@paced.test"], t) for t in paced] +
                [(["u@unpaced.test"], t) for t in unpaced])
    ok, _ = wait_until(lambda: all(far.messages(t) for t in paced + unpaced), deadline=30,
                       interval=0.1)
    assert ok, queue_entries(sender)
    assert all(len(far.messages(t)) == 1 for t in paced + unpaced)
    spacing = 60 / PACED_RATE
    paced_times = sorted(far.messages(t)[0]["t"] for t in paced)
    gaps = [round(b - a, 2) for a, b in zip(paced_times, paced_times[1:])]
    assert all(g >= 0.8 * spacing for g in gaps), gaps
    unpaced_times = sorted(far.messages(t)[0]["t"] for t in unpaced)
    spread = unpaced_times[-1] - unpaced_times[0]
    assert spread < 0.8 * spacing, (spread, unpaced_times)
    report_figure(f"relay rate limit: paced.test gaps {gaps} s; unpaced.test all five within {spread:.2f} s")
