"""The shipped action and workflows follow the security rules."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import labeled_payload

from workorder.cli.annotations import Annotation, format_outputs, group, render_command, workflow_commands
from workorder.cli.main import build_parser, main
from workorder.contracts.packet import Finding
from workorder.handlers.outcome import Outcome
from workorder.loop.state import State, TrackingState
from workorder.templates import Templates

ROOT = Path(__file__).parent.parent
WORKFLOWS = [ROOT / "action.yml", ROOT / "examples" / "workflow.yml", ROOT / "examples" / "milestone-workflow.yml", *sorted((ROOT / ".github" / "workflows").glob("*.yml"))]


def values_of(doc, key: str) -> list[str]:
    """Every string value of ``key`` anywhere in a parsed workflow or action (``run``, ``uses``, …)."""
    found = []
    if isinstance(doc, dict):
        for k, value in doc.items():
            found += [value] if k == key and isinstance(value, str) else values_of(value, key)
    elif isinstance(doc, list):
        for item in doc:
            found += values_of(item, key)
    return found


def run_scripts(doc) -> list[str]:
    """Every ``run:`` script in a workflow or action."""
    return values_of(doc, "run")


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_event_or_input_text_is_spliced_into_a_run_script(path):
    scripts = run_scripts(yaml.safe_load(path.read_text()))
    for script in scripts:
        assert not re.search(r"\$\{\{[^}]*(github\.event|inputs\.)", script), script


def test_action_is_composite_and_passes_inputs_through_env():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert len(run_scripts(action)) == 7
    handle = next(s for s in action["runs"]["steps"] if s.get("id") == "handle")
    assert handle["env"]["WORKORDER_GITHUB_TOKEN"] == "${{ inputs.github-token }}"
    assert set(action["outputs"]) >= {"verdict", "state", "pr-number"}


def uses_of(doc) -> list[str]:
    """Every ``uses:`` value in a workflow or action."""
    return values_of(doc, "uses")


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_third_party_actions_are_pinned_by_full_sha_with_a_version_comment(path):
    text = path.read_text()
    for ref in uses_of(yaml.safe_load(text)):
        if ref.startswith("./"):
            continue
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), ref
        assert re.search(re.escape(ref) + r" # v\d+\.\d+\.\d+", text), f"{ref} has no version comment"


@pytest.mark.parametrize("path", WORKFLOWS[1:3], ids=lambda p: p.name)
def test_the_examples_pin_the_action_itself_by_sha_with_no_lint_exception(path):
    """Issue 20: the examples carried ``# zizmor: ignore[unpinned-uses]`` on ``workorder-dev/workorder@v0``."""
    text = path.read_text()
    own = [u for u in uses_of(yaml.safe_load(text)) if u.startswith("workorder-dev/workorder@")]
    assert own and all(re.fullmatch(r"workorder-dev/workorder@[0-9a-f]{40}", u) for u in own), own
    assert "unpinned-uses" not in text


@pytest.mark.parametrize("path", WORKFLOWS[1:], ids=lambda p: p.name)
def test_workflows_grant_permissions_per_job_and_time_out(path):
    flow = yaml.safe_load(path.read_text())
    assert flow["permissions"] == {}, "no permissions at workflow level"
    for name, job in flow["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), f"job {name} has no timeout-minutes"
        assert "permissions" in job, f"job {name} states no permissions"


def install_script(action) -> str:
    """The install step's ``run:`` and the script it runs (scripts/install.sh, in the action's folder)."""
    run = next(s for s in action["runs"]["steps"] if s.get("name") == "Install workorder")["run"]
    assert run == 'bash "$ACTION_PATH/scripts/install.sh" install'
    return run + (ROOT / "scripts" / "install.sh").read_text()


def test_action_leaves_the_callers_python_alone():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    setup = next(s for s in action["runs"]["steps"] if s.get("uses", "").startswith("actions/setup-python"))
    assert setup["with"]["update-environment"] is False
    install = install_script(action)
    assert "workorder-venv" in install and "pip install --quiet --disable-pip-version-check \"$ACTION" \
        not in install
    for step in action["runs"]["steps"]:
        assert "GITHUB_PATH" not in step.get("run", ""), "nothing is added to the caller's PATH"


def test_route_mode_installs_nothing():
    """mode route runs only the route step (the runner's python3 on route.py); every other step,
    setup-python and the install included, is skipped for it."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    route, *others = sorted(action["runs"]["steps"], key=lambda s: s.get("id") != "route")
    assert route["if"] == "inputs.mode == 'route'" and "python3 -B -E -S -m workorder.handlers.route" in route["run"]
    for step in others:
        condition = step.get("if", "")
        assert "inputs.mode != 'route'" in condition or "inputs.mode == 'handle'" in condition \
            or "steps.handle.outputs.runs-dir != ''" in condition \
            or "steps.agent.outputs.user-namespaces == 'true'" in condition, step.get("name", step.get("uses"))


def test_uv_is_bootstrapped_from_hashes():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    install = install_script(action)
    assert "--require-hashes" in install and "action-uv-requirements.txt" in install
    lock = (ROOT / "action-uv-requirements.txt").read_text()
    assert re.search(r"^uv==[0-9.]+ \\$", lock, re.MULTILINE) and lock.count("--hash=sha256:") >= 10


def test_artifact_upload_can_be_skipped_and_has_a_retention():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    upload = next(s for s in action["runs"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert "inputs.upload-artifact != 'false'" in upload["if"]
    assert upload["with"]["retention-days"] == "${{ inputs.retention-days }}"


def test_example_workflow_is_minimal_and_safe():
    flow = yaml.safe_load((ROOT / "examples" / "workflow.yml").read_text())
    assert flow["jobs"]["route"]["permissions"] == {"issues": "write", "pull-requests": "write"}, \
        "the route step reads the payload and writes only the 👀 reaction on a command comment"
    assert not any("checkout" in s.get("uses", "") for s in flow["jobs"]["route"]["steps"]), "route checks out nothing"
    assert set(flow["jobs"]["workorder"]["permissions"]) == {"contents", "issues", "pull-requests", "statuses"}
    job = flow["jobs"]["workorder"]
    assert job["concurrency"]["group"] == "workorder-${{ needs.route.outputs.issue }}-${{ needs.route.outputs.lane }}"
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["persist-credentials"] is False
    assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"
    assert "pull_request" not in flow[True], "pull_request runs the work branch's workflow; use pull_request_target"
    assert "startsWith(github.event.pull_request.head.ref, 'wo/')" in flow["jobs"]["route"]["if"]


def test_dangerous_triggers_state_their_reason():
    text = (ROOT / "examples" / "workflow.yml").read_text()
    for trigger in ("issue_comment", "pull_request_target"):
        assert re.search(rf"# Why {trigger}: ", text), trigger


def test_dependabot_keeps_the_pinned_actions_current():
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    assert any(u["package-ecosystem"] == "github-actions" for u in config["updates"])


def test_dependabot_keeps_the_action_locks_current():
    """Dependabot's pip updater reads every requirements file in the entry's directory: both locks
    action.yml installs with --require-hashes sit in "/"."""
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    pip = next(u for u in config["updates"] if u["package-ecosystem"] == "pip")
    assert pip["directory"] == "/"
    script = (ROOT / "scripts" / "install.sh").read_text()   # action.yml's install step runs it
    for lock in ("action-requirements.txt", "action-uv-requirements.txt"):
        assert (ROOT / lock).is_file() and f"$action/{lock}" in script


# ---- annotations and step outputs (workorder.cli.annotations) ----


def test_an_invalid_work_order_is_an_error_annotation_per_problem(action, capsys):
    body = "---\nobjective: ''\nin_scope: []\nrisk: extreme\n---\n"
    action.fake.issues[1]["body"] = body
    action.handle(labeled_payload(body=body))
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("::error ")]
    assert errors[0].startswith("::error title=workorder%3A invalid work order #1::")
    assert any("title=workorder%3A work order #1%3A risk::" in e for e in errors)
    assert len(errors) >= 4


def test_a_refusal_is_a_warning_annotation(action, capsys):
    action.fake.permissions["Codertocat"] = "triage"
    action.handle(labeled_payload())
    [warning] = [line for line in capsys.readouterr().err.splitlines() if line.startswith("::")]
    assert warning.startswith("::warning title=workorder refused the event::") and "triage" in warning


def test_no_annotations_outside_actions(action, capsys):
    action.env.pop("GITHUB_ACTIONS")
    action.fake.permissions["Codertocat"] = "triage"
    action.handle(labeled_payload())
    assert "::warning" not in capsys.readouterr().err


def _failed_state() -> TrackingState:
    return TrackingState(issue=3, state=State.BLOCKED, cycle=2, max_cycles=2, verdict="FAIL", pr_number=9, findings=[
                             Finding(severity="BLOCKER", rule="scope.outside", message="changed README.md",
                                     path="README.md"),
                             Finding(severity="MAJOR", rule="placeholder.todo", message="TODO left",
                                     path="src/a, b.py", line=12, evidence="x = 1  # TODO"),
                             Finding(severity="MINOR", rule="style", message="minor thing")])


def test_a_fail_verdict_annotates_each_finding_at_its_file_and_line():
    outcome = Outcome(event="issues", decision="done", issue=3, state=_failed_state())
    lines = workflow_commands(outcome, Templates()).splitlines()
    assert lines[0].startswith("::error title=PO verdict FAIL on work order #3::cycle 2 of 2")
    assert lines[1] == "::error file=README.md,title=BLOCKER scope.outside::changed README.md"
    assert lines[2].startswith("::error file=src/a%2C b.py,line=12,title=MAJOR placeholder.todo::TODO left%0Ax = 1  # TODO")
    assert lines[3].startswith("::warning title=MINOR style::minor thing")
    assert len(lines) == 4


def test_a_pass_or_an_ignored_event_says_nothing():
    assert workflow_commands(Outcome(event="issues", decision="ignored", reason="not ours"), Templates()) == ""


def test_an_invalid_config_points_at_the_config_file():
    outcome = Outcome(event="issues", decision="invalid", reason_code="invalid_config", reason="bad config",
                      problems=[{"field": "max_cycles", "message": "must be at most 10"}])
    lines = workflow_commands(outcome, Templates()).splitlines()
    assert lines[1] == ("::error file=.github/workorder.yml,title=workorder%3A repo config%3A max_cycles"
                        "::must be at most 10")


def test_workflow_command_data_is_escaped():
    line = render_command(Annotation("notice", "a: b, c", "50% done\r\nnext"))
    assert line == "::notice title=a%3A b%2C c::50%25 done%0D%0Anext\n"
    assert group("phase", "x") == "::group::phase\nx\n::endgroup::\n"


def test_multi_line_outputs_use_the_delimiter_syntax():
    text = format_outputs({"one": "1", "many": "a\nb=c"}, delimiter="EOF_X")
    assert text == "one=1\nmany<<EOF_X\na\nb=c\nEOF_X\n"
    random = format_outputs({"many": "a\nb"})
    assert random.startswith("many<<ghadelimiter_") and random.count("ghadelimiter_") == 2
    with pytest.raises(ValueError):
        format_outputs({"x": "a\nEOF_X"}, delimiter="EOF_X")


# ---- README and CLI drift ----


README = (ROOT / "docs" / "action.md").read_text(encoding="utf-8")  # the action's reference page


def _readme_section(title: str) -> str:
    start = README.index(title)
    following = re.search(r"\n#{2,3} ", README[start + len(title):])
    return README[start: start + len(title) + (following.start() if following else len(README))]


def test_readme_inputs_table_is_action_yml():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    section = _readme_section("## Action inputs and outputs")
    rows = dict(re.findall(r"^\| `([\w-]+)` \| ([^|]+) \|", section, re.MULTILINE))
    assert set(rows) == set(action["inputs"]), "README inputs table vs action.yml"
    for name, spec in action["inputs"].items():
        default = str(spec.get("default", ""))
        shown = rows[name].strip()
        expected = "empty" if default == "" else f"`{default.removeprefix('${{ ').removesuffix(' }}')}`"
        assert shown == expected, f"{name}: README says {shown}, action.yml {expected}"


def test_readme_lists_every_output_and_environment_variable():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    section = _readme_section("## Action inputs and outputs")
    for name in action["outputs"]:
        assert f"`{name}`" in section, f"README lacks the output {name}"
    for step in action["runs"]["steps"]:
        for var in (step.get("env") or {}):
            if var.startswith("WORKORDER_"):
                assert f"`{var}`" in README, f"README lacks {var}"
    for var in ("WORKORDER_STATE_DIR", "WORKORDER_PHASE_DIR", "WORKORDER_PROMPT_FILE", "WORKORDER_RESULT_FILE"):
        assert f"`{var}`" in README, var


def test_license_is_the_mit_license_pyproject_names():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert 'license = "MIT"' in (ROOT / "pyproject.toml").read_text()


def test_every_subcommand_help_has_a_description():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name, parser in sub.choices.items():
        assert parser.description and len(parser.description) > 20, name


def test_route_without_an_environment_says_what_to_set(capsys):
    assert main(["route"], environ={}, out=io.StringIO()) == 2
    assert "set GITHUB_EVENT_NAME and GITHUB_EVENT_PATH" in capsys.readouterr().err


def test_install_agent_with_an_invalid_config_lists_the_problems_and_fails(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".github").mkdir(parents=True)
    (repo / ".github" / "workorder.yml").write_text("runner:\n  preset: aider\nmax_cycle: 3\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b",
           "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@b"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "config"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True)
    out = io.StringIO()
    code = main(["install-agent", "--print"], environ={**env, "GITHUB_WORKSPACE": str(repo)}, out=out)
    assert code == 1
    assert "max_cycle" in out.getvalue() and "did you mean max_cycles?" in out.getvalue()


@pytest.mark.parametrize(("preset", "expected"), [("codex", "true"), ("claude", "false"), ("aider", "false")])
def test_install_agent_says_whether_the_preset_needs_user_namespaces(tmp_path, preset, expected):
    out_file = tmp_path / "github-output"
    environ = {"PATH": "/usr/bin:/bin", "GITHUB_WORKSPACE": str(tmp_path), "GITHUB_OUTPUT": str(out_file),
               "WORKORDER_RUNNER_PRESET": preset}
    assert main(["install-agent", "--print"], environ=environ, out=io.StringIO()) == 0
    assert out_file.read_text() == f"user-namespaces={expected}\n"


def _sysctl_step() -> dict:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    return next(s for s in action["runs"]["steps"] if "steps.agent.outputs.user-namespaces" in s.get("if", ""))


@pytest.mark.parametrize(("clone", "apparmor", "written"), [
    ("0", "1", ["kernel.unprivileged_userns_clone=1", "kernel.apparmor_restrict_unprivileged_userns=0"]),
    ("1", "1", ["kernel.apparmor_restrict_unprivileged_userns=0"]),
    ("1", "0", []),
    ("absent", "absent", []),  # a kernel without these knobs: nothing to do
])
def test_codex_sandbox_step_sets_only_what_is_gated(tmp_path, clone, apparmor, written):
    """The step's script with a stand-in sysctl (reports the values) and sudo (logs what it would run)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sysctl").write_text(f"""#!/bin/sh
case "$2" in
  kernel.unprivileged_userns_clone) v={clone} ;;
  kernel.apparmor_restrict_unprivileged_userns) v={apparmor} ;;
esac
[ "$v" = absent ] && exit 255
echo "$v"
""")
    (bin_dir / "sudo").write_text(f'#!/bin/sh\necho "$3" >> {tmp_path}/written\n')
    for tool in ("sysctl", "sudo"):
        (bin_dir / tool).chmod(0o755)
    step = _sysctl_step()
    assert "runner.environment == 'github-hosted'" in step["if"] and "runner.os == 'Linux'" in step["if"]
    subprocess.run(["bash", "-c", step["run"]], env={"PATH": f"{bin_dir}:/usr/bin:/bin"}, check=True)
    said = (tmp_path / "written").read_text().split() if (tmp_path / "written").exists() else []
    assert said == written


def test_an_unknown_config_key_gets_a_did_you_mean(tmp_path):
    path = tmp_path / "workorder.yml"
    path.write_text("runner:\n  comand: ./agent.sh\n")
    out = io.StringIO()
    assert main(["validate", "--config", str(path)], environ={}, out=out) == 1
    assert "runner.comand" in out.getvalue() and "did you mean command?" in out.getvalue()


def test_phase_groups_fold_each_phase_of_the_loop():
    from workorder.cli.annotations import PhaseGroups

    seen: list[str] = []
    stream = io.StringIO()
    groups = PhaseGroups(lambda event, data: (seen.append(event), stream.write(f"{event}\n")), stream, Templates())
    for event, data in [("loop.start", {"issue": 4}), ("runner.start", {"issue": 4, "cycle": 1, "phase": "dev"}),
                        ("runner.done", {"issue": 4, "cycle": 1}), ("verify", {"cycle": 1}), ("verify", {"cycle": 1}),
                        ("verdict", {"cycle": 1}), ("push", {"cycle": 1}), ("loop.end", {"issue": 4})]:
        groups(event, data)
    assert stream.getvalue().splitlines() == [
        "loop.start", "::group::workorder #4 · cycle 1 · dev", "runner.start", "runner.done", "::endgroup::",
        "::group::workorder #4 · cycle 1 · review", "verify", "verify", "verdict", "::endgroup::",
        "::group::workorder #4 · cycle 1 · publish", "push", "loop.end", "::endgroup::"]
    assert len(seen) == 8


def test_a_real_run_folds_its_phases_in_the_log(action):
    code, out = action.handle(labeled_payload())
    assert code == 0, out
    groups = [line for line in out.splitlines() if line.startswith("::group::")]
    assert groups[:3] == ["::group::workorder #1 · cycle 1 · dev", "::group::workorder #1 · cycle 1 · review",
                          "::group::workorder #1 · cycle 1 · publish"]
    assert out.count("::group::") == out.count("::endgroup::")


def test_the_action_lock_pins_every_dependency_with_hashes():
    """action-requirements.txt (what action.yml installs with --require-hashes) satisfies pyproject.toml."""
    import tomllib

    from packaging.requirements import Requirement

    lock = (ROOT / "action-requirements.txt").read_text()
    pinned = {m[0].lower().replace("_", "-"): m[1] for m in re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", lock, re.MULTILINE)}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    needed = [Requirement(r) for r in [*project["project"]["dependencies"], *project["build-system"]["requires"]]]
    for req in needed:
        name = req.name.lower().replace("_", "-")
        assert name in pinned, f"{req.name} is not in action-requirements.txt: regenerate it (see its header)"
        assert req.specifier.contains(pinned[name]), f"{req.name}=={pinned[name]} does not satisfy {req}"
    blocks = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", lock.split("\n", 4)[4])
    assert all("--hash=sha256:" in block for block in blocks), "every pin carries its hashes"


def test_the_release_workflow_builds_attaches_hashes_and_moves_the_major_tag(tmp_path):
    """Issue 20 item 3: a ref that resolves. A vX.Y.Z tag push builds the wheel and sdist with the
    release commit in workorder/cli/_release.py, attaches them with SHA256SUMS, and moves vX."""
    flow = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())
    assert flow[True] == {"push": {"tags": ["v*.*.*"]}} and flow["permissions"] == {}
    [job] = flow["jobs"].values()
    assert job["permissions"] == {"contents": "write"}
    scripts = "\n".join(run_scripts(job))
    for needed in ("src/workorder/cli/_release.py", "hatchling build", "sha256sum", "SHA256SUMS",
                   "gh release create", "--verify-tag", 'major="${TAG%%.*}"', "git/refs/tags/$major"):
        assert needed in scripts, needed
    # the file the build writes is the one init reads
    writer = re.search(r"printf .*?_release\.py", scripts, re.DOTALL).group(0)
    target = tmp_path / "_release.py"
    script = writer
    script = script.replace("src/workorder/cli/_release.py", str(target))
    subprocess.run(["bash", "-c", script], env={"TAG": "v1.2.3", "commit": "f" * 40, "PATH": "/usr/bin:/bin"}, check=True)
    namespace: dict = {}
    exec(target.read_text(), namespace)
    assert (namespace["COMMIT"], namespace["TAG"]) == ("f" * 40, "v1.2.3")
