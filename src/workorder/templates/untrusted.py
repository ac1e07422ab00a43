"""Untrusted text is data: it never carries a marker the action parses, and hidden text never reaches a prompt.

Every value a template renders passes through :func:`for_template` (the ``finalize`` of
:class:`workorder.templates.Templates`), so no template can forget it:

* in texts a person reads on GitHub (comments, PR bodies, reviews) the HTML comment delimiters
  ``<!--`` and ``-->`` of a value are broken with a zero-width space (:func:`neutralise`), so agent
  output, DoD packet fields, issue and comment text can never form a hidden marker
  (``<!-- workorder:state … -->``, ``:tracking``, ``:review``, ``:reply-to``, ``:issue``, ``:claim-lost``,
  ``:board``); the text still reads the same;
* in prompts (templates whose name contains ``prompt`` or ``notes``) hidden text is removed
  (:func:`strip_hidden`): HTML comments, zero-width and bidi control characters; code and agent
  output a reviewer must see whole (the diff, the DoD packet) use the ``visible`` filter instead
  (:func:`visible`: hidden characters shown as ``<U+XXXX>``).

Only values the action itself builds and marks trusted (``markupsafe.Markup``, e.g. the tracking
comment's own marker) are rendered as they are.
"""

from __future__ import annotations

import re

from markupsafe import Markup

ZERO_WIDTH_SPACE = "\u200b"
# zero-width characters, bidi embeddings/overrides/isolates, word joiner and invisible operators, BOM, soft hyphen
HIDDEN_CHARS = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# an HTML comment; an unterminated one hides everything after it, so it is removed to the end
HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
PROMPT_TEMPLATE_WORDS = ("prompt", "notes")


def neutralise(text: str) -> str:
    """``text`` with every ``<!--`` and ``-->`` broken by a zero-width space: it reads the same on GitHub
    but can neither open nor close an HTML comment, so it can carry no hidden marker. Idempotent."""
    return text.replace("<!--", "<" + ZERO_WIDTH_SPACE + "!--").replace("-->", "--" + ZERO_WIDTH_SPACE + ">")


def strip_hidden(text: str) -> str:
    """``text`` without what a reader of the issue does not see: zero-width and bidi control
    characters, then HTML comments (an unterminated one to the end of the text). What is left of a
    comment delimiter is neutralised (:func:`neutralise`)."""
    visible = HTML_COMMENT.sub("", HIDDEN_CHARS.sub("", text))
    return visible.replace("<!--", "<!- -").replace("-->", "- ->")


def visible(text: str | None) -> Markup:
    """``text`` with hidden characters shown as ``<U+XXXX>`` and comment delimiters neutralised, marked
    to print as it is: for code and agent output in a prompt (a diff, a DoD packet), where removing
    what is hidden would hide it from the reviewer rather than from the agent."""
    shown = HIDDEN_CHARS.sub(lambda m: f"<U+{ord(m.group(0)):04X}>", text or "")
    return Markup(neutralise(shown))


def is_prompt_template(name: str | None) -> bool:
    """True for templates whose text an agent reads (their values lose hidden text)."""
    return bool(name) and any(word in name for word in PROMPT_TEMPLATE_WORDS)  # type: ignore[operator]


def for_template(template_name: str | None, value: object) -> object:
    """What a template prints for ``value``: trusted values (:class:`markupsafe.Markup`) and non-text
    as they are; text stripped of hidden text in prompts, neutralised everywhere else."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return strip_hidden(value) if is_prompt_template(template_name) else neutralise(value)


def trusted(text: str) -> Markup:
    """Mark ``text`` (built by the action itself, e.g. a hidden marker) to be rendered as it is."""
    return Markup(text)
