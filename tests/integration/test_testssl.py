"""testssl.sh (Debian package testssl.sh) against the SMTP STARTTLS, IMAPS and POP3S
ports: no protocol below TLS 1.2, no cipher that is not AEAD (no NULL, anonymous,
export, low, 3DES, RC4 or CBC suite), and no known vulnerability (Heartbleed, CCS,
ROBOT, renegotiation, CRIME, POODLE, SWEET32, FREAK, DROWN, LOGJAM, BEAST, LUCKY13, RC4...).

Only the checks needed run, the three ports in parallel, with DNS lookups off and short
timeouts: protocols (-p) and cipher categories (-s) on every port, the vulnerability
scan (-U) on IMAPS and SMTP STARTTLS. All daemons build their TLS context with the same
function (common/net/tls.cpp), so POP3S would repeat IMAPS's scan; -U is the slowest
part (about 40 s of CPU per port). The summary printed at the end of the run is the one
docs/security.md quotes.
"""

import json
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import report_figure, require_built, separate_suite

TESTSSL = shutil.which("testssl") or shutil.which("testssl.sh")

# The TLS configuration is the same in the sanitizer build; scanning it twice only costs
# CI time (scripts/test.sh runs the sanitizer stage with -m "not release_only").
pytestmark = pytest.mark.release_only

# Finding ids (testssl 3.0 flat JSON) that must say "not offered".
# (cipherlist_AVERAGE is testssl 3.0's "Obsolete CBC ciphers" category.)
MUST_NOT_OFFER = ["SSLv2", "SSLv3", "TLS1", "TLS1_1",
                  "cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW",
                  "cipherlist_3DES_IDEA", "cipherlist_AVERAGE"]
MUST_OFFER = ["TLS1_2", "TLS1_3", "cipherlist_STRONG"]
# Severities that mean a weakness (testssl: OK, INFO, LOW, MEDIUM, HIGH, CRITICAL).
BAD = {"LOW", "MEDIUM", "HIGH", "CRITICAL"}
# Vulnerability finding ids of -U, each of which must be present and rated OK (or INFO
# where testssl only reports). Ticketbleed applies to HTTPS only; testssl omits it after
# STARTTLS and says "not applicable" elsewhere.
VULNERABILITIES = ["heartbleed", "CCS", "ROBOT", "secure_renego", "secure_client_renego",
                   "CRIME_TLS", "POODLE_SSL", "fallback_SCSV", "SWEET32", "FREAK", "DROWN", "LOGJAM",
                   "BEAST", "LUCKY13", "RC4"]


@pytest.fixture(scope="module")
def tls_suite(tmp_path_factory):
    if not TESTSSL:
        pytest.skip("testssl.sh is not installed (apt-get install testssl.sh)")
    for name in ("mailctl", "smtpd", "queued", "imapd", "pop3d"):
        require_built(name)
    with separate_suite(tmp_path_factory.mktemp("testssl")) as s:
        yield s


def run_testssl(out_dir, name, port, starttls, vulnerabilities):
    json_file = out_dir / f"{name}.json"
    args = [TESTSSL, "--quiet", "--color", "0", "--warnings", "off", "--nodns", "none",
            "--connect-timeout", "5", "--openssl-timeout", "5", "--jsonfile", str(json_file),
            "-p", "-s"] + (["-U"] if vulnerabilities else [])
    if starttls:
        args += ["-t", starttls]
    args.append(f"127.0.0.1:{port}")
    r = subprocess.run(args, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    assert json_file.exists(), f"testssl wrote no JSON for {name} ({r.returncode}):\n{r.stdout[-3000:]}"
    findings = {f["id"]: f for f in json.loads(json_file.read_text())}
    return findings, r.stdout


def test_testssl_smtp_starttls_imaps_pop3s(tls_suite, tmp_path):
    targets = [("smtp-starttls", tls_suite.ports["smtp"], "smtp", True),
               ("imaps", tls_suite.ports["imaps"], None, True),
               ("pop3s", tls_suite.ports["pop3s"], None, False)]
    with ThreadPoolExecutor(len(targets)) as pool:
        results = list(pool.map(lambda t: (t[0], t[3], *run_testssl(tmp_path, *t)), targets))
    problems = []
    for name, scanned, findings, stdout in results:
        for fid in MUST_NOT_OFFER:
            f = findings.get(fid)
            if f is None or "not offered" not in f["finding"]:
                problems.append(f"{name}: {fid}: {f and f['finding']!r}")
        for fid in MUST_OFFER:
            f = findings.get(fid)
            if f is None or not f["finding"].startswith("offered"):
                problems.append(f"{name}: {fid} not offered: {f and f['finding']!r}")
        for fid in VULNERABILITIES if scanned else []:
            f = findings.get(fid)
            if f is None:
                problems.append(f"{name}: {fid} was not checked")
            elif f["severity"] in BAD:
                problems.append(f"{name}: {fid} {f['severity']}: {f['finding']}")
        for fid, f in findings.items():
            if fid.startswith(("cipher_", "cert", "intermediate", "DNS_CAA", "HSTS", "OCSP")):
                continue  # the test certificate is self-signed; that is not what is tested
            if f["severity"] in BAD and fid not in VULNERABILITIES:
                problems.append(f"{name}: {fid} {f['severity']}: {f['finding']}")
        vulns = sum(1 for fid in VULNERABILITIES if fid in findings)
        report_figure(f"testssl {name}: protocols TLS1.2+TLS1.3 only, ciphers AEAD only"
                      + (f", {vulns} vulnerability checks OK" if scanned else ""))
    assert not problems, "testssl findings:\n" + "\n".join(problems)
