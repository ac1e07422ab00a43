"""Secrets never leave through the agent's output (issue 21, item 5): the scanner's table, and a hostile SE
runner that writes the token and its model key into a file, its DoD packet and its output, through
`workorder handle` against the fake GitHub, with a control that has the scan turned off."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import TOKEN, labeled_payload
from workorder.contracts.forge import ReviewComment
from workorder.gates.secret_scan import HELD, MaskingForge, SecretScanner, mask_tree

RUNNER = Path(__file__).parent / "agents" / "leaky_runner.py"
MODEL_KEY = "mk-" + "Zq9Xw8Vu7Ts6" * 3  # a model key of no known format: found only as a value the run holds
HELD_VALUE = "s3cr3t-v4lue-of-this-run-0123"

# Made-up credentials of each well-known format (none is real); each is split so the source itself holds none.
KNOWN = [
    ("GitHub personal token", "ghp_" + "a1B2c3D4e5F6g7H8i9J0" + "k1L2m3N4o5P6"),
    ("GitHub installation token", "ghs_" + "Q" * 20 + "r" * 16),
    ("GitHub fine-grained token", "github_pat_" + "11ABCDEFG0" + "abcdefghijklmnopqrstuvwxyz" * 3),
    ("AWS access key id", "AKIA" + "IOSFODNN7EXAMPLE"),
    ("AWS secret in config", "aws_secret_access_key = '" + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" + "'"),
    ("Anthropic key", "sk-ant-" + "api03-" + "x1Y2z3" * 15 + "AA"),
    ("OpenAI project key", "sk-" + "proj-" + "Ab3dE" * 12),
    ("OpenAI legacy key", "sk-" + "abcdEFGH1234ijklmnop" + "T3BlbkFJ" + "mnopQRST5678uvwxYZ90"),
    ("OpenAI 48-char key", "sk-" + "Ab1Cd2Ef3G" * 4 + "h4Ij5Kl6"),
    ("RSA private key", "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEpAIBAAKCAQEA75aQ0ZxL\n-----END RSA " + "PRIVATE KEY-----"),
    ("PGP private key with headers", "-----BEGIN PGP " + "PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\nlQOYBF3xTq0BCACtZ8vKp2"),
    ("private key inside JSON", json.dumps({"k": "-----BEGIN " + "PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n-----END " + "PRIVATE KEY-----"})),
    ("OpenSSH private key", "-----BEGIN OPENSSH " + "PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA"),
    ("Slack bot token", "xoxb-" + "123456789012-" + "abcdefghijklmnop"),
    ("Stripe live key", "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc"),
    ("GitLab token", "glpat-" + "abcdefghij0123456789"),
    ("PyPI token", "pypi-" + "AgEIcHlwaS5vcmc" + "A" * 70),
    ("SendGrid key", "SG." + "a" * 22 + "." + "b" * 43),
    ("held value", HELD_VALUE),
    ("held value, base64", base64.b64encode(HELD_VALUE.encode()).decode()),
    ("held value inside base64 (the push header)", base64.b64encode(b"x-access-token:" + HELD_VALUE.encode()).decode()),
    ("held value, URL-encoded", quote(HELD_VALUE + "/+", safe="")),
    ("held value, hex", HELD_VALUE.encode().hex()),
]

LOOK_ALIKES = [
    ("a commit SHA", "3f786850e387550fdab836ed7e6dc881de23001b"),
    ("a short ghp_ example", "export GH_TOKEN=ghp_xxxx"),
    ("a token name, not a value", "token = os.environ['GITHUB_TOKEN']"),
    ("sk- inside a word", "task-ant-colony-simulation-framework-0123456789"),
    ("scikit-learn", "pip install sk-learn scikit-learn"),
    ("a public key", "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"),
    ("key-parsing code", 'if pem.startswith("-----BEGIN RSA PRIVATE KEY-----"):  # BEGIN RSA PRIVATE KEY'),
    ("an AWS-like word", "AKIA is the prefix of an AWS access key id"),
    ("a UUID", "123e4567-e89b-12d3-a456-426614174000"),
    ("base64 of something else", base64.b64encode(b"nothing to see here, just data").decode()),
    ("a hash in a lock file", "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="),
    ("a short held-looking value", "s3cr3t"),
    ("a password placeholder", "password = '<your password here>'"),
]


@pytest.mark.parametrize("name,secret", KNOWN, ids=[k[0] for k in KNOWN])
def test_scanner_finds_and_masks_each_known_format_and_held_value(name, secret):
    scanner = SecretScanner((HELD_VALUE, "short"))
    text = f"line before\nvalue = {secret}  # trailing\n"
    leaks = scanner.find(text)
    assert leaks, name
    masked = scanner.mask(text)
    assert "[masked: " in masked and masked.startswith("line before\nvalue = ") and "# trailing" in masked
    assert secret not in masked and HELD_VALUE not in masked


@pytest.mark.parametrize("name,text", LOOK_ALIKES, ids=[k[0] for k in LOOK_ALIKES])
def test_scanner_leaves_honest_look_alikes_alone(name, text):
    scanner = SecretScanner(("s3cr3t", HELD_VALUE))  # "s3cr3t" is too short to be looked for
    assert scanner.find(text) == [], name
    assert scanner.mask(text) == text


def test_held_value_is_named_as_held_not_by_its_value():
    [leak] = SecretScanner((HELD_VALUE,)).find(f"x={HELD_VALUE}")
    assert leak.kind == HELD and (leak.start, leak.end) == (2, 2 + len(HELD_VALUE))


def test_masked_text_keeps_json_valid():
    data = json.dumps({"summary": f"token {TOKEN} key {MODEL_KEY}", "n": 1})
    masked = SecretScanner((TOKEN, MODEL_KEY)).mask(data)
    assert json.loads(masked)["summary"] == "token [masked: a secret this run holds] key [masked: a secret this run holds]"


def test_masking_forge_masks_every_text_it_posts():
    sent: list = []

    class Recorder:
        def __getattr__(self, name):
            return lambda *args: sent.append((name, args))

    forge = MaskingForge(Recorder(), (TOKEN,))
    forge.create_comment(1, f"a {TOKEN}")
    forge.edit_comment(1, 2, f"b {TOKEN}")
    forge.create_issue(f"t {TOKEN}", f"c {TOKEN}")
    forge.edit_issue_body(1, f"d {TOKEN}")
    forge.create_pull_request("wo/1-x", "main", f"t {TOKEN}", f"e {TOKEN}", True)
    forge.update_pull_request(1, f"f {TOKEN}")
    forge.create_review(1, "abc", "COMMENT", f"g {TOKEN}", [ReviewComment("a.py", 1, f"h {TOKEN}")])
    forge.set_commit_status("abc", "failure", "ctx", f"i {TOKEN}", None)
    forge.add_label(1, "wo:ready")  # not a text: passed through
    assert len(sent) == 9 and TOKEN not in repr(sent) and repr(sent).count("[masked: ") == 11


def test_mask_tree_masks_run_records_in_place(tmp_path):
    (tmp_path / "1" / "1-dev").mkdir(parents=True)
    log = tmp_path / "1" / "1-dev" / "output.log"
    log.write_text(f"printed {TOKEN}\n")
    (tmp_path / "clean.txt").write_text("nothing\n")
    assert mask_tree(tmp_path, (TOKEN,)) == [log]
    assert TOKEN not in log.read_text() and (tmp_path / "clean.txt").read_text() == "nothing\n"


def test_version_does_not_import_the_scanner():
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "workorder", "--version"], capture_output=True,
                          text=True, check=True)
    assert "workorder" in proc.stdout and "workorder.cli.main" in proc.stderr  # the import log is on stderr
    assert "detect_secrets" not in proc.stderr and "secret_scan" not in proc.stderr


# -- through `workorder handle` against the fake GitHub ---------------------------------------------

def leaky_action(action, scenario: str) -> list[str]:
    """Configure ``action`` for the leaky runner (token and model key passed to it); returns the list
    that collects the body of every request the fake GitHub receives."""
    action.commit_config("runner:\n  pass_github_token: true\n  env: [MODEL_KEY]\n")
    action.env["MODEL_KEY"] = MODEL_KEY
    action.env["WORKORDER_RUNNER_COMMAND"] = f"{sys.executable} {RUNNER} {scenario}"
    bodies: list[str] = []
    dispatch = action.fake._dispatch

    def recording(request):
        body = request.body or ""
        bodies.append(body.decode() if isinstance(body, bytes) else body)
        return dispatch(request)

    action.fake._dispatch = recording
    return bodies


def origin_history(action) -> str:
    """Every commit (message and patch) of every branch of the origin the action pushes to."""
    return subprocess.run(["git", "log", "--all", "-p", "--format=%H %B"], cwd=action.tmp_path / "seed" / "origin.git",
                          capture_output=True, text=True, check=True).stdout


def records(action) -> str:
    runs = action.tmp_path / "state" / "runs"
    return "".join(p.read_text(errors="replace") for p in runs.rglob("*") if p.is_file())


def assert_nothing_left(action, bodies: list[str], out: str) -> None:
    for secret in (TOKEN, MODEL_KEY):
        assert not [b for b in bodies if secret in b], "a request to GitHub carried the secret"
        assert secret not in origin_history(action), "a pushed commit carries the secret"
        assert secret not in records(action), "the run records (uploaded as an artifact) carry the secret"
        shown = [line for line in out.splitlines() if not line.startswith("::add-mask::")]  # Actions' own masking
        assert not [line for line in shown if secret in line]
    assert not action.fake.pulls and not action.fake.reviews and not action.fake.statuses
    assert action.remote_sha("wo/1-add-subtract-to-calc") == "0" * 40, "the work branch was pushed"


def test_leaked_secret_in_the_diff_is_a_blocker_and_nothing_of_it_leaves(action):
    bodies = leaky_action(action, "done")
    code, out = action.handle(labeled_payload())
    assert action.outputs()["verdict"] == "FAIL" and action.outputs()["state"] == "blocked", out
    tracking = action.tracking()
    assert "BLOCKER `secrets.leaked`" in tracking
    assert "(calc/leak.py:3)" in tracking and "(calc/leak.py:4)" in tracking
    assert "Stopped: secret_leaked" in tracking and "not pushed" in tracking
    assert_nothing_left(action, bodies, out)
    assert bodies and any("[masked: a secret this run holds]" in b for b in bodies)  # the output tail, masked
    from workorder.gates.secret_scan import encoded_forms

    assert all(f"::add-mask::{form}\n" in out for form in encoded_forms(TOKEN) + encoded_forms(MODEL_KEY))


def test_leaked_secret_in_a_question_is_masked_and_the_branch_not_pushed(action):
    bodies = leaky_action(action, "question")
    code, out = action.handle(labeled_payload())
    tracking = action.tracking()
    assert "Stopped: secret_leaked" in tracking and "calc/leak.py:3" in tracking, tracking
    assert_nothing_left(action, bodies, out)


def test_control_without_the_scan_the_secret_is_pushed_and_posted(action, monkeypatch):
    monkeypatch.setattr(SecretScanner, "find", lambda self, text: [])
    bodies = leaky_action(action, "done")
    action.handle(labeled_payload())
    assert TOKEN in origin_history(action) and MODEL_KEY in origin_history(action)
    assert [b for b in bodies if TOKEN in b], "without the scan, a request to GitHub carries the token"
    [pr] = action.fake.pulls.values()
    assert TOKEN in pr["body"], "without the scan, the packet summary reaches the PR body"
    assert TOKEN in records(action) and "secrets.leaked" not in action.tracking()


def new_repo(path: Path):
    from workorder.shell.gitops import Git

    env = {"PATH": "/usr/bin:/bin", "HOME": str(path), "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"}
    git = Git(repo=path, env=env)
    git.run("init", "-q", "-b", "main")
    return git


def test_a_secret_removed_by_a_later_commit_still_blocks_the_push(tmp_path):
    """The push publishes every commit of the branch, so a secret a later commit removes still counts;
    so does one in a commit message. The findings name path and line, never the secret."""
    from workorder.gates.secret_scan import SecretLeakRefused, leak_findings, refuse_leaking_push

    git = new_repo(tmp_path)
    (tmp_path / "a.py").write_text("x = 1\n")
    base = git.commit_all("base", "t", "t@x")
    refuse_leaking_push(git, base, "HEAD", (TOKEN,))  # nothing to refuse
    (tmp_path / "a.py").write_text(f"x = 1\ny = '{TOKEN}'\n")
    git.commit_all("add y", "t", "t@x")
    (tmp_path / "a.py").write_text("x = 1\n")
    git.commit_all(f"remove y, it was {MODEL_KEY}", "t", "t@x")
    findings = leak_findings(git, base, "HEAD", (TOKEN, MODEL_KEY))
    assert [(f.rule, f.severity.value, f.path, f.line) for f in findings] == [
        ("secrets.leaked", "BLOCKER", "a.py", 2), ("secrets.leaked", "BLOCKER", None, None)]
    assert "message of commit" in findings[1].message
    assert TOKEN not in repr(findings) and MODEL_KEY not in repr(findings)
    assert findings[0].evidence == "y = '[masked: a secret this run holds]'"
    with pytest.raises(SecretLeakRefused, match="a.py:2") as refused:
        refuse_leaking_push(git, base, "HEAD", (TOKEN, MODEL_KEY))
    assert TOKEN not in str(refused.value) and refused.value.kind == "secret_leaked"


@pytest.mark.parametrize("how", ["a NUL byte", "a -diff attribute"])
def test_a_secret_in_a_file_git_calls_binary_is_found(tmp_path, how):
    """git shows no + lines for a binary file (a NUL byte, or the agent's .gitattributes saying -diff):
    the scan reads the whole file then."""
    from workorder.gates.secret_scan import leak_findings

    git = new_repo(tmp_path)
    (tmp_path / "a.py").write_text("x = 1\n")
    base = git.commit_all("base", "t", "t@x")
    if how == "a NUL byte":
        (tmp_path / "blob.bin").write_bytes(b"\0\1header\n" + TOKEN.encode() + b"\n")
    else:
        (tmp_path / ".gitattributes").write_text("*.txt -diff\n")
        (tmp_path / "notes.txt").write_text(f"one\n{TOKEN}\n")
    git.commit_all("add", "t", "t@x")
    assert "Binary files" in git.run("diff", base, "HEAD")  # what a + line scan alone would miss
    [finding] = leak_findings(git, base, "HEAD", (TOKEN,))
    assert finding.path in ("blob.bin", "notes.txt") and finding.line == 2 and TOKEN not in repr(finding)


def test_mask_tree_masks_a_record_that_is_not_utf8(tmp_path):
    log = tmp_path / "output.log"
    log.write_bytes(b"\xff\xfe binary " + TOKEN.encode() + b" \xc3\n")
    assert mask_tree(tmp_path, (TOKEN,)) == [log]
    assert TOKEN.encode() not in log.read_bytes() and log.read_bytes().startswith(b"\xff\xfe binary [masked")
