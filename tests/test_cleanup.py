"""`workorder cleanup`: old run records and the wo/ branches of closed or merged work orders go, dry-run by
default, never a branch with an open pull request; on the fake GitHub and on the local forge."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import responses

from fakegithub import FakeGitHub
from workorder.cli import main
from workorder.local.forge import LocalForge
from workorder.shell.gitops import Git

OLD = time.time() - 40 * 86_400


def make_runs(root: Path) -> Path:
    runs = root / ".workorder" / "runs"
    for issue, mtime in (("1", OLD), ("2", None)):
        phase = runs / issue / "1-dev"
        phase.mkdir(parents=True)
        (phase / "prompt.md").write_text("p")
        if mtime:
            for p in (phase / "prompt.md", phase, runs / issue):
                os.utime(p, (mtime, mtime))
    return runs


def git_repo(tmp_path: Path, branches: list[str]) -> Git:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = Git(repo, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GIT_CONFIG_GLOBAL": "/dev/null",
                         "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
                         "GIT_COMMITTER_EMAIL": "t@x"})
    git.run("init", "-q", "-b", "main")
    (repo / "a.txt").write_text("a")
    git.run("add", "-A")
    git.run("commit", "-q", "-m", "a")
    for b in branches:
        git.run("branch", b)
    return git


BRANCHES = ["wo/1-closed", "wo/2-open", "wo/3-closed-open-pr", "wo/4-merged", "feature/x", "wo/notes"]


def cleanup(args: list[str], environ: dict[str, str]) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["cleanup", *args], environ, out)
    return code, out.getvalue()


def test_local_forge_dry_run_then_apply(tmp_path):
    git = git_repo(tmp_path, BRANCHES)
    runs = make_runs(git.repo)
    forge = LocalForge(git.repo / ".workorder" / "forge", git=git)
    for n, title in enumerate(["closed", "open", "closed-open-pr", "merged"], start=1):
        forge.open_issue(title, "b", [], "alice")
    data = forge._load()
    for n in ("1", "3"):
        data["issues"][n]["state"] = "closed"
    forge._save(data)
    for n, head in ((3, "wo/3-closed-open-pr"), (4, "wo/4-merged")):
        forge.create_pull_request(head, "main", "t", "b", draft=False)
    data = forge._load()
    pr4 = next(k for k, v in data["pulls"].items() if v["head"] == "wo/4-merged")
    data["pulls"][pr4].update({"state": "closed", "merged": True})
    forge._save(data)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GIT_CONFIG_GLOBAL": "/dev/null"}

    code, text = cleanup(["--repo", str(git.repo), "--days", "30"], env)
    assert code == 0 and "dry run" in text
    assert f"run record {runs / '1'}" in text and f"run record {runs / '2'}" not in text
    assert "branch wo/1-closed\n" in text and "branch wo/4-merged\n" in text
    assert "Keeping branch wo/3-closed-open-pr: its pull request is open" in text
    assert "Keeping branch wo/2-open: its work order is open" in text and "feature/x" not in text
    assert (runs / "1").exists() and git.rev("refs/heads/wo/1-closed")  # a dry run removes nothing

    code, text = cleanup(["--repo", str(git.repo), "--days", "30", "--apply"], env)
    assert code == 0 and text.startswith("Removing")
    assert not (runs / "1").exists() and (runs / "2").exists()
    left = git.run("for-each-ref", "--format=%(refname:short)", "refs/heads/").split()
    assert sorted(left) == ["feature/x", "main", "wo/2-open", "wo/3-closed-open-pr", "wo/notes"]


def test_fake_github_deletes_only_closed_branches_without_an_open_pr(tmp_path):
    fake = FakeGitHub()
    fake.add_issue(1, "closed", "b", [])
    fake.add_issue(2, "open", "b", [])
    fake.add_issue(3, "closed, PR open", "b", [])
    fake.add_issue(4, "open, PR merged", "b", [])
    fake.issues[1]["state"] = fake.issues[3]["state"] = "closed"
    fake.pulls[10] = {"title": "t", "body": "b", "head": "wo/3-closed-open-pr", "base": "main", "draft": False,
                      "state": "open"}
    fake.pulls[11] = {"title": "t", "body": "b", "head": "wo/4-merged", "base": "main", "draft": False,
                      "state": "closed", "merged_at": "2026-12-01T00:00:00Z"}
    fake.branches = {b: "a" * 40 for b in BRANCHES}
    env = {"GITHUB_TOKEN": "t0ken", "GITHUB_REPOSITORY": fake.repo, "WORKORDER_NO_THROTTLE": "1",
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    (tmp_path / "empty").mkdir()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.install(rsps)
        code, text = cleanup(["--repo", str(tmp_path / "empty")], env)
        assert code == 0 and set(fake.branches) == set(BRANCHES)
        assert not [c for c in fake.calls if c[0] == "DELETE"]
        code, text = cleanup(["--repo", str(tmp_path / "empty"), "--apply"], env)
    assert code == 0, text
    assert sorted(fake.branches) == ["feature/x", "wo/2-open", "wo/3-closed-open-pr", "wo/notes"]
