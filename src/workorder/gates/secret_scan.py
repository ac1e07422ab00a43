"""Secrets never leave through the agent's output: find them, mask them, refuse to push them.

Two kinds of secret are looked for in any text:

* the values the run holds (``workorder.handle.secrets_of``: the GitHub tokens, the agents' API keys, the
  values of the env names the config passes to them), also base64-encoded (at any alignment, std and
  URL-safe alphabets), percent-encoded and hex-encoded;
* well-known credential formats: the regexes of detect-secrets' format plugins (Yelp/detect-secrets 1.5,
  ``RegexBasedDetector.denylist``: AWS, Azure storage, GitHub, GitLab, OpenAI, PyPI, npm,
  SendGrid, Slack, Square, Stripe, Twilio, Mailchimp, Discord, Telegram) plus the formats it lacks
  (``github_pat_``, Anthropic ``sk-ant-``, OpenAI ``sk-proj-``/``sk-svcacct-``/``sk-admin-``, whole
  private key blocks). Entropy and keyword plugins are left out: they flag honest code.

Where the hooks are: the PO review adds a ``secrets.leaked`` BLOCKER per added line or commit message
(:func:`leak_findings`), the loop refuses to push a branch with one (:func:`refuse_leaking_push`), every
text the forge posts is masked (:class:`MaskingForge`), and the run records are masked before the
action uploads them (:func:`mask_tree`). detect-secrets is imported only when a scan first runs.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..contracts import Finding, Severity
from ..shell.gitops import GitError
from .rules import Rule

if TYPE_CHECKING:
    from ..shell.gitops import Git

RULE = "secrets.leaked"
# not a gate of the registry: the PO review and the push check call the scan themselves
LEAKED = Rule(RULE, Severity.BLOCKER, "a commit of the work branch adds a secret the run holds or a known credential")
HELD = "a secret this run holds"
MIN_HELD = 8  # shorter values are not looked for (they would match honest text)
MAX_FINDINGS = 50
# detect-secrets plugins (module, class) whose patterns are specific formats, not guesses by entropy or keyword
_PLUGINS = (
    ("aws", "AWSKeyDetector"), ("azure_storage_key", "AzureStorageKeyDetector"),
    ("discord", "DiscordBotTokenDetector"), ("github_token", "GitHubTokenDetector"),
    ("gitlab_token", "GitLabTokenDetector"), ("mailchimp", "MailchimpDetector"), ("npm", "NpmDetector"),
    ("openai", "OpenAIDetector"), ("pypi_token", "PypiTokenDetector"),
    ("sendgrid", "SendGridDetector"), ("slack", "SlackDetector"), ("square_oauth", "SquareOAuthDetector"),
    ("stripe", "StripeDetector"), ("telegram_token", "TelegramBotTokenDetector"), ("twilio", "TwilioKeyDetector"),
)
_OWN = (
    # a key block: the header, its line end (raw or JSON-escaped), optional PEM headers, key material,
    # and on to the END line when there is one (detect-secrets' PrivateKeyDetector flags the bare header
    # words, which honest key-parsing code contains)
    ("Private Key", r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:\s|\\[rn])+"
                    r"(?:[A-Za-z][A-Za-z-]*:[^\n\\]*(?:\s|\\[rn])+)*[A-Za-z0-9+/=]{20}"
                    r"(?:.{0,20000}?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)?"),
    ("GitHub Token", r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9_]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
    ("Anthropic API Key", r"(?<![A-Za-z0-9_])sk-ant-[A-Za-z0-9_-]{20,}"),
    ("OpenAI API Key", r"(?<![A-Za-z0-9_])sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}"),
    ("OpenAI API Key", r"(?<![A-Za-z0-9_-])sk-[A-Za-z0-9]{48}(?![A-Za-z0-9])"),
)


@dataclass(frozen=True)
class Leak:
    """One secret found in a text: its ``kind`` (a format name, or :data:`HELD`) and its span."""

    kind: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(kind, regex) of every well-known format: the detect-secrets plugins' denylists and our own.
    Imports detect-secrets (about 0.2 s) on the first call only."""
    import importlib

    found = [(kind, re.compile(regex, re.DOTALL)) for kind, regex in _OWN]
    for module, name in _PLUGINS:
        plugin = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), name)
        found += [(plugin.secret_type, regex) for regex in plugin.denylist]
    return tuple(found)


def encoded_forms(value: str) -> tuple[str, ...]:
    """``value`` and the forms it may leave in: percent-encoded, hex, and base64 (std and URL-safe, at
    each of the three byte alignments, so a value inside a longer encoded string, such as the push
    header ``base64("x-access-token:" + token)``, is found too). Forms shorter than 12 are dropped."""
    raw = value.encode()
    forms = {value, quote(value, safe=""), raw.hex()}
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + raw).decode()
        core = encoded[-(-8 * pad // 6):(8 * (pad + len(raw))) // 6]
        forms.update({core, core.replace("+", "-").replace("/", "_")})
    return tuple(sorted((f for f in forms if len(f) >= 12 or f == value), key=len, reverse=True))


class SecretScanner:
    """Finds the values in ``held`` (see :func:`encoded_forms`; values under 8 characters are ignored)
    and well-known credential formats in texts, and masks them."""

    def __init__(self, held: tuple[str, ...] = ()):
        self.forms = tuple({form for value in held if len(value) >= MIN_HELD for form in encoded_forms(value)})

    def find(self, text: str) -> list[Leak]:
        """Every secret in ``text``, as non-overlapping leaks in text order (overlaps merged; the
        first found names the kind)."""
        if not text:
            return []
        spans: list[Leak] = []
        for form in self.forms:
            at = text.find(form)
            while at >= 0:
                spans.append(Leak(HELD, at, at + len(form)))
                at = text.find(form, at + 1)
        for kind, regex in _patterns():
            spans += [Leak(kind, m.start(), m.end()) for m in regex.finditer(text) if m.end() > m.start()]
        return _merge(spans)

    def mask(self, text: str) -> str:
        """``text`` with each secret replaced by ``[masked: <kind>]`` (no quote or backslash, so JSON and
        Markdown around it stay valid)."""
        for leak in reversed(self.find(text)):
            text = text[:leak.start] + f"[masked: {leak.kind}]" + text[leak.end:]
        return text


def _merge(spans: list[Leak]) -> list[Leak]:
    merged: list[Leak] = []
    for leak in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and leak.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = replace(last, end=max(last.end, leak.end))
        else:
            merged.append(leak)
    return merged


@lru_cache(maxsize=8)
def scanner_for(secrets: tuple[str, ...]) -> SecretScanner:
    """The scanner of a run holding ``secrets`` (cached: a run builds it once)."""
    return SecretScanner(secrets)


def mask_text(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every held value of ``secrets`` and every well-known credential masked."""
    return scanner_for(secrets).mask(text)


def leak_findings(git: Git, base: str, head: str, secrets: tuple[str, ...]) -> list[Finding]:
    """BLOCKER ``secrets.leaked`` findings for ``base..head`` in ``git``: one per added line holding a
    secret, in any commit of the range (a later commit that removes it does not take it out of the
    history a push would publish), and one per commit message holding one. The finding names the path
    and line (or the commit) and the kind; its evidence is the line with the secret masked, never the
    secret. At most 50. Raises GitError when git fails."""
    head_sha, base_sha = git.rev(head), git.rev(base)
    if not head_sha or not base_sha:
        return []
    key = (str(git.repo), base_sha, head_sha, secrets)
    if key not in _SCANNED:  # the review and the push guard scan the same range: once
        if len(_SCANNED) > 16:
            _SCANNED.clear()
        _SCANNED[key] = _leak_findings(git, base_sha, head_sha, secrets)
    return list(_SCANNED[key])


_SCANNED: dict[tuple, tuple[Finding, ...]] = {}


def _leak_findings(git: Git, base: str, head: str, secrets: tuple[str, ...]) -> tuple[Finding, ...]:
    scanner = scanner_for(secrets)
    findings: dict[tuple, Finding] = {}
    for commit in git.run("rev-list", "--reverse", f"{base}..{head}").split():
        identity_and_message = git.run("log", "-1", "--format=%an%n%ae%n%cn%n%ce%n%B", commit)
        for leak in scanner.find(identity_and_message):
            findings.setdefault(("msg", commit, leak.kind), _finding(leak.kind, commit))
        lines = _added_lines(git, commit)
        for at, leak in _by_line([a.text for a in lines], scanner):
            line = lines[at]
            findings.setdefault((line.path, line.line, leak.kind), _finding(
                leak.kind, commit, line.path, line.line, scanner.mask(line.text).strip()[:200]))
    return tuple(findings.values())[:MAX_FINDINGS]


def _added_lines(git: Git, commit: str) -> list:
    """The lines ``commit`` adds (:class:`workorder.diff.AddedLine`), plus every line of each file it
    changes that git treats as binary (a NUL byte, or a ``-diff`` attribute): those have no ``+`` lines."""
    from ..evidence.diff import AddedLine, read_diff

    lines = list(read_diff(git, f"{commit}^", commit).added_lines)
    numstat = git.run("diff", "--no-color", "--no-ext-diff", "--no-renames", "--numstat", "-z", f"{commit}^", commit)
    for entry in numstat.split("\0"):
        added, _, path = entry.partition("\t-\t")
        if added == "-" and path and git.run("cat-file", "-t", f"{commit}:{path}", check=False).strip() == "blob":
            content = git.run("show", f"{commit}:{path}", check=False)
            lines += [AddedLine(path=path, line=n, text=t) for n, t in enumerate(content.splitlines(), 1)]
    return lines


def _templates() -> Any:
    from ..templates import active

    return active()


def _finding(kind: str, commit: str, path: str | None = None, line: int | None = None,
             evidence: str | None = None) -> Finding:
    """The ``secrets.leaked`` BLOCKER for a secret of ``kind`` at ``path``:``line`` of ``commit`` (or in
    its message or identity when ``path`` is None), from templates/secret_finding.txt.j2."""
    text = _templates().render_line("secret_finding.txt.j2", kind=kind, path=path, line=line, commit=commit[:12])
    return LEAKED.finding(text, path=path, line=line, evidence=evidence)


def _by_line(lines: list[str], scanner: SecretScanner) -> list[tuple[int, Leak]]:
    """(index of the line it starts on, leak) for every leak in ``lines``, scanned as one text (one pass
    of each pattern instead of one per line; a private key block spanning lines counts on its first)."""
    import bisect

    starts, at = [], 0
    for line in lines:
        starts.append(at)
        at += len(line) + 1
    return [(bisect.bisect_right(starts, leak.start) - 1, leak) for leak in scanner.find("\n".join(lines))]


class SecretLeakRefused(GitError):
    """The branch holds a secret, so the action refused to push it. ``kind`` is ``secret_leaked`` (the
    loop's failure kind); the message names where, never what."""

    kind = "secret_leaked"


def refuse_leaking_push(git: Git, base: str, head: str, secrets: tuple[str, ...]) -> None:
    """Raise :class:`SecretLeakRefused` when any commit of ``base..head`` adds a secret (see
    :func:`leak_findings`); return None when the branch may be pushed."""
    findings = leak_findings(git, base, head, secrets)
    if findings:
        where = [f"{f.path}:{f.line}" if f.path else f.message for f in findings]
        raise SecretLeakRefused(_templates().render_line("secret_push_refused.txt.j2", where=where))


def mask_data(data: Any, secrets: tuple[str, ...]) -> Any:
    """``data`` (strings, lists, tuples, dicts of them) with every string masked (:func:`mask_text`)."""
    if isinstance(data, str):
        return mask_text(data, secrets)
    if isinstance(data, (list, tuple)):
        return type(data)(mask_data(x, secrets) for x in data)
    if isinstance(data, dict):
        return {k: mask_data(v, secrets) for k, v in data.items()}
    return data


def mask_tree(root: Path, secrets: tuple[str, ...]) -> list[Path]:
    """Mask every secret in the text files under ``root`` (the run records the action uploads), in
    place, never following links; returns the files changed. Unreadable files are left as they are."""
    changed = []
    for path in sorted(root.rglob("*")) if root.is_dir() else []:
        if path.is_symlink() or not path.is_file():
            continue
        try:  # undecodable bytes survive as they are (surrogateescape): an agent's binary output is masked too
            text = path.read_bytes().decode("utf-8", "surrogateescape")
            masked = mask_text(text, secrets)
            if masked != text:
                path.write_bytes(masked.encode("utf-8", "surrogateescape"))
                changed.append(path)
        except OSError:
            continue
    return changed


class MaskingForge:
    """A :class:`workorder.forge.Forge` that masks every text it posts (comment and issue bodies, PR
    title and body, review body and inline comments, commit status descriptions) with
    :func:`mask_text` before ``forge`` sends it; every other call goes to ``forge`` unchanged."""

    def __init__(self, forge: Any, secrets: tuple[str, ...]):
        self.forge = forge
        self.secrets = secrets

    def __getattr__(self, name: str) -> Any:
        return getattr(self.forge, name)

    def _m(self, text: str) -> str:
        return mask_text(text, self.secrets)

    def create_comment(self, number: int, body: str) -> Any:
        """Post a comment, masked."""
        return self.forge.create_comment(number, self._m(body))

    def edit_comment(self, number: int, comment_id: int, body: str) -> None:
        """Replace a comment's body, masked."""
        self.forge.edit_comment(number, comment_id, self._m(body))

    def create_issue(self, title: str, body: str, labels: tuple[str, ...] = ()) -> Any:
        """Open an issue, title and body masked."""
        return self.forge.create_issue(self._m(title), self._m(body), labels)

    def edit_issue_body(self, number: int, body: str) -> None:
        """Replace an issue's body, masked."""
        self.forge.edit_issue_body(number, self._m(body))

    def create_pull_request(self, head: str, base: str, title: str, body: str, draft: bool) -> Any:
        """Open a pull request, title and body masked."""
        return self.forge.create_pull_request(head, base, self._m(title), self._m(body), draft)

    def update_pull_request(self, number: int, body: str) -> None:
        """Replace a pull request's body, masked."""
        self.forge.update_pull_request(number, self._m(body))

    def create_review(self, number: int, commit_sha: str, event: Any, body: str, comments: list) -> None:
        """Post a review, its body and each inline comment's body masked."""
        masked = [replace(c, body=self._m(c.body)) for c in comments]
        self.forge.create_review(number, commit_sha, event, self._m(body), masked)

    def set_commit_status(self, sha: str, state: Any, context: str, description: str, target_url: str | None) -> None:
        """Set a commit status, its description masked."""
        self.forge.set_commit_status(sha, state, context, self._m(description), target_url)
