"""docs/examples.md is the demo's real output: the reviews, tracking comment and pull request body that
`workorder demo` posts to its local forge, as they are today.

When a template changes what is posted, this test fails; write the page again with
`python tests/test_docs_examples.py` and read the diff.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import tempfile
from pathlib import Path

from workorder.cli import main

PAGE = Path(__file__).parent.parent / "docs" / "examples.md"

INTRO = """# What workorder posts: the demo's real output

Everything below is what `pip install . && workorder demo` posts to its local forge
(`forge/forge.json` in the demo's folder), copied unchanged except that hidden state blocks are cut
short and test timings are fixed (the commit SHAs
differ on your machine: the demo's config holds the path of its Python). The demo's scripted agent first breaks the rules (an out-of-scope
edit, a failing test, a skip, a TODO, an overclaiming DoD packet), gets a FAIL, then fixes its work
and gets a PASS. The demo also writes every body it posts, in order, as a markdown file to `posts/` in
its folder (`NN-issue-1-tracking-<state>.md`, `NN-pr-2-body.md`, `NN-pr-2-review-cycle-1.md`, ...) and
prints the list. `tests/test_docs_examples.py` checks that this page matches the demo; after a
template change, `python tests/test_docs_examples.py` writes it again.
"""


def _quote(markdown: str) -> str:
    """Return `markdown` as a blockquote, so its headings stay inside the example."""
    return "\n".join(("> " + line).rstrip() for line in markdown.strip("\n").splitlines())


def _steady(markdown: str) -> str:
    """Return `markdown` without what changes from run to run or only machines read (timings, hidden state)."""
    markdown = re.sub(r"(Ran \d+ tests? in )\d+\.\d+s", r"\g<1>0.001s", markdown)
    return re.sub(r"<!-- workorder:state \{.*?\} -->", "<!-- workorder:state {…} -->", markdown, flags=re.DOTALL)


def render_page(forge: dict) -> str:
    """Build docs/examples.md from the demo's local forge (forge/forge.json); raises KeyError if it lacks a part."""
    [pull] = forge["pulls"].values()
    fail, passed = pull["reviews"]
    [tracking] = forge["issues"]["1"]["comments"]
    parts = [
        INTRO,
        f"## The FAIL review (cycle 1, posted as `{fail['event']}`)\n",
        _quote(_steady(fail["body"])) + "\n",
        f"## The PASS review (cycle 2, posted as `{passed['event']}`)\n",
        _quote(_steady(passed["body"])) + "\n",
        "## The tracking comment on the issue, after `/wo approve`\n",
        _quote(_steady(tracking["body"])) + "\n",
        "## The pull request body\n",
        "<details><summary>" + pull["title"] + "</summary>\n\n" + _quote(_steady(pull["body"])) + "\n\n</details>\n",
    ]
    return "\n".join(parts)


def demo_page() -> str:
    """Run `workorder demo` in a temporary folder and return the page its output makes."""
    with tempfile.TemporaryDirectory() as tmp:
        out = io.StringIO()
        code = main(["demo", "--dir", str(Path(tmp) / "demo")], environ=dict(os.environ), out=out)
        assert code == 0, out.getvalue()
        return render_page(json.loads((Path(tmp) / "demo" / "forge" / "forge.json").read_text()))


def _without_shas(text: str) -> str:
    """Return `text` with commit SHAs masked: the demo's commits hold the path of the Python that ran it."""
    return re.sub(r"\b[0-9a-f]{7,40}\b", "<sha>", text)


def test_the_examples_page_is_what_the_demo_posts():
    page, fresh = PAGE.read_text(encoding="utf-8"), demo_page()
    assert _without_shas(page) == _without_shas(fresh), "run: python tests/test_docs_examples.py"


def test_the_readme_quotes_the_demos_reviews_as_they_are():
    """The README's trimmed reviews keep the demo's own lines: headings, head, findings, evidence rows."""
    readme = (PAGE.parent.parent / "README.md").read_text(encoding="utf-8")
    page = PAGE.read_text(encoding="utf-8").splitlines()
    quoted = re.findall(r"^> (?:#+ |Work order #|- \*\*|\| \d).*$", readme, re.MULTILINE)
    assert len(quoted) >= 10, quoted
    assert not [line for line in quoted if line not in page]


if __name__ == "__main__":
    PAGE.write_text(demo_page(), encoding="utf-8")
    print(f"wrote {PAGE}", file=sys.stderr)
