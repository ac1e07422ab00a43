"""Every text a person or an agent reads is rendered here from Jinja2 templates.

The shipped templates live in ``workorder/templates/`` (inside the wheel). A repository may
override any of them by putting a file of the same name in ``.github/workorder/templates/`` on its
default branch; the caller reads those files and passes them in as ``overrides``.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from functools import lru_cache

import jinja2

from . import untrusted
from .findings_view import evidence_blocks, evidence_shared

__all__ = ["OVERRIDE_DIR", "Templates", "activate", "active", "deactivate"]

OVERRIDE_DIR = ".github/workorder/templates"


def _tail(text: str | None, lines: int = 30) -> str:
    if not text:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _fence(text: str | None) -> str:
    """A code fence longer than any backtick run inside ``text`` (so issue text cannot close it)."""
    longest = 0
    run = 0
    for ch in text or "":
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


@jinja2.pass_context
def _finalize(context: jinja2.runtime.Context, value: object) -> object:
    """Every printed value is data (:func:`workorder.templates.untrusted.for_template`): no hidden marker in a
    text posted to GitHub, no hidden text in a prompt."""
    return untrusted.for_template(context.name, value)


class Templates:
    """Renders named templates.

    ``overrides`` maps a template file name (e.g. ``review.md.j2``) to its text; those win over the
    shipped ones. Rendering with a missing variable raises ``jinja2.UndefinedError`` (a bug, not input).
    """

    def __init__(self, overrides: dict[str, str] | None = None):
        loaders: list[jinja2.BaseLoader] = []
        if overrides:
            loaders.append(jinja2.DictLoader(dict(overrides)))
        loaders.append(jinja2.PackageLoader("workorder", "templates"))
        self._env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            autoescape=False,
            finalize=_finalize,
        )
        self._env.filters["tail"] = _tail
        self._env.filters["fence"] = _fence
        self._env.filters["visible"] = untrusted.visible
        self._env.filters["evidence_blocks"] = evidence_blocks
        self._env.filters["evidence_shared"] = evidence_shared
        self._env.filters["tojson_pretty"] = lambda v: json.dumps(v, indent=2, sort_keys=True, default=str)

    def render(self, name: str, **context: object) -> str:
        """Render template ``name`` with ``context``; returns the text."""
        return self._env.get_template(name).render(**context)

    def render_line(self, name: str, **context: object) -> str:
        """Render a one-line template (titles, status descriptions); returns it stripped."""
        return " ".join(self.render(name, **context).split())

    def names(self) -> list[str]:
        """Names of all templates known (shipped and overridden)."""
        return sorted(self._env.list_templates())


_ACTIVE: ContextVar[Templates | None] = ContextVar("workorder_active_templates", default=None)


@lru_cache(maxsize=1)
def _shipped() -> Templates:
    return Templates()


def activate(templates: Templates) -> None:
    """Make ``templates`` (the default branch's, with the repository's overrides from :data:`OVERRIDE_DIR`)
    the ones :func:`active` returns in this context, so every text of the run — findings, evidence,
    runner-failure and isolation texts included — goes through the repository's overrides."""
    _ACTIVE.set(templates)


def deactivate() -> None:
    """Forget the run's templates: :func:`active` returns the shipped ones again."""
    _ACTIVE.set(None)


def active() -> Templates:
    """The run's templates (see :func:`activate`), or the shipped ones when no run set any."""
    return _ACTIVE.get() or _shipped()
