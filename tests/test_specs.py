"""Workflow spec files: both formats read to one model, every mistake names its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from activities.llm.outputs import OUTPUT_SCHEMAS
from starter.specs import SpecError, discover_specs, load_spec, spec_folder
from workflows.composed.spec import (
    ApprovalStepSpec,
    LLMStepSpec,
    WorkflowSpec,
    WorkflowStepSpec,
    render_prompt,
    waves,
)
from workflows.registry import registry

FLOWS = Path(__file__).resolve().parent.parent / "examples" / "flows"

VALID_TOML = """\
name = "review-flow"

[[steps]]
id = "audit"
kind = "workflow"
workflow = "security-audit"
target = "src"

[steps.params]
batch_size = 50

[[steps]]
id = "triage"
kind = "llm"
depends_on = ["audit"]
tier = "haiku"
output_schema = "triage"
prompt = '''
Triage {audit}, keep JSON like {"a": 1} as written.
'''

[[steps]]
id = "docs"
kind = "llm"
task = "architecture"
prompt = "Describe the design."

[[steps]]
id = "gate"
kind = "approval"
role = "Lead"
message = "Ship it?"
timeout = "1h30m"
depends_on = [
  "triage",
  "docs",
]
"""

VALID_YAML = """\
name: review-flow
steps:
  - id: audit
    kind: workflow
    workflow: security-audit
    target: src
    params:
      batch_size: 50
  - id: triage
    kind: llm
    depends_on: [audit]
    tier: haiku
    output_schema: triage
    prompt: |
      Triage {audit}, keep JSON like {"a": 1} as written.
  - id: docs
    kind: llm
    task: architecture
    prompt: Describe the design.
  - id: gate
    kind: approval
    role: Lead
    message: Ship it?
    timeout: 1h30m
    depends_on:
      - triage
      - docs
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_toml_and_yaml_read_to_the_same_model(tmp_path: Path) -> None:
    toml = load_spec(write(tmp_path, "flow.toml", VALID_TOML))
    yaml = load_spec(write(tmp_path, "flow.yaml", VALID_YAML))
    assert toml == yaml
    audit, triage, docs, gate = toml.steps
    assert isinstance(audit, WorkflowStepSpec)
    assert (audit.params, audit.target) == ({"batch_size": 50}, "src")
    assert isinstance(triage, LLMStepSpec) and triage.initial_tier() == "haiku"
    assert isinstance(docs, LLMStepSpec)
    assert (docs.output_schema, docs.tier, docs.initial_tier()) == ("answer", "auto", "opus")
    assert isinstance(gate, ApprovalStepSpec)
    assert (gate.timeout, gate.role) == (5400, "Lead")


def test_examples_load_and_agree() -> None:
    toml = load_spec(FLOWS / "audit-and-approve.toml")
    assert toml == load_spec(FLOWS / "audit-and-approve.yaml")
    assert waves(toml) == [["audit"], ["summary"], ["sign_off"]]
    assert [step.kind for step in toml.steps] == ["workflow", "llm", "approval"]


def test_a_spec_survives_the_wire() -> None:
    """The Composed workflow receives the spec as JSON and validates it again."""
    spec = load_spec(FLOWS / "audit-and-approve.toml")
    assert WorkflowSpec.model_validate_json(spec.model_dump_json()) == spec


def test_waves_run_independent_steps_together() -> None:
    spec = WorkflowSpec.model_validate(
        {
            "name": "fan",
            "steps": [
                {"id": "join", "kind": "approval", "message": "ok", "depends_on": ["b", "a"]},
                {"id": "a", "kind": "llm", "prompt": "a"},
                {"id": "b", "kind": "llm", "prompt": "b {a}", "depends_on": ["a"]},
                {"id": "c", "kind": "llm", "prompt": "c"},
            ],
        }
    )
    assert waves(spec) == [["a", "c"], ["b"], ["join"]]


def test_render_prompt_fills_only_known_steps() -> None:
    assert render_prompt('{a} and {"k": 1} and {b}', {"a": '{"n": 2}'}) == (
        '{"n": 2} and {"k": 1} and {b}'
    )


def test_plugin_workflows_are_known_through_the_context(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "flow.toml",
        'name = "hi"\n[[steps]]\nid = "hello"\nkind = "workflow"\nworkflow = "sample-hello"\n',
    )
    with pytest.raises(SpecError, match="unknown workflow 'sample-hello'"):
        load_spec(path)
    assert load_spec(path, {"sample-hello"}).steps[0].workflow == "sample-hello"


TOML_HEAD = (
    'name = "flow"\n\n[[steps]]\nid = "audit"\nkind = "workflow"\nworkflow = "security-audit"\n'
)
YAML_HEAD = "name: flow\nsteps:\n  - id: audit\n    kind: workflow\n    workflow: security-audit\n"

INVALID = [
    pytest.param(
        "flow.toml",
        TOML_HEAD + '\n[[steps]]\nid = "ask"\nkind = "chat"\nprompt = "hi"\n',
        10,
        "steps[1].kind: unknown step kind 'chat' (one of: workflow, llm, approval)",
        id="toml-unknown-kind",
    ),
    pytest.param(
        "flow.yaml",
        YAML_HEAD + "  - id: ask\n    prompt: hi\n",
        6,
        "steps[1]: missing key 'kind' (one of: workflow, llm, approval)",
        id="yaml-missing-kind",
    ),
    pytest.param(
        "flow.toml",
        TOML_HEAD + '\n[[steps]]\nid = "audit"\nkind = "llm"\nprompt = "again"\n',
        9,
        "steps[1].id: duplicate step id 'audit' (first used by steps[0])",
        id="toml-duplicate-id",
    ),
    pytest.param(
        "flow.yaml",
        YAML_HEAD + "  - id: ask\n    kind: llm\n    prompt: hi\n    depends_on:\n"
        "      - audit\n      - adit\n",
        11,
        "steps[1].depends_on[1]: unknown step 'adit' (steps: audit, ask)",
        id="yaml-unknown-dependency",
    ),
    pytest.param(
        "flow.toml",
        'name = "flow"\n\n[[steps]]\nid = "a"\nkind = "llm"\nprompt = "x"\ndepends_on = ["c"]\n'
        '\n[[steps]]\nid = "b"\nkind = "llm"\nprompt = "y"\ndepends_on = ["a"]\n'
        '\n[[steps]]\nid = "c"\nkind = "llm"\nprompt = "z"\ndepends_on = [\n  "b",\n]\n',
        13,
        "steps[1].depends_on[0]: dependency cycle: b -> a -> c -> b",
        id="toml-cycle",
    ),
    pytest.param(
        "flow.yaml",
        YAML_HEAD + "    depends_on: [audit]\n",
        6,
        "steps[0].depends_on[0]: dependency cycle: audit -> audit",
        id="yaml-self-dependency",
    ),
    pytest.param(
        "flow.toml",
        TOML_HEAD
        + '\n[[steps]]\nid = "ok"\nkind = "approval"\nmessage = "go?"\ntimeout = "3 days"\n',
        12,
        "steps[1].timeout: invalid duration '3 days': use a number with a unit, "
        "e.g. 3d, 12h, 30m, 90s",
        id="toml-bad-duration",
    ),
    pytest.param(
        "flow.yaml",
        "name: flow\nsteps:\n  - id: audit\n    kind: workflow\n    workflow: securty-audit\n",
        5,
        "steps[0].workflow: unknown workflow 'securty-audit' "
        f"(known: {', '.join(sorted(f.name for f in registry().listed()))})",
        id="yaml-unknown-workflow",
    ),
    pytest.param(
        "flow.toml",
        TOML_HEAD
        + '\n[[steps]]\nid = "sum"\nkind = "llm"\nprompt = "x"\noutput_schema = "essay"\n',
        12,
        "steps[1].output_schema: unknown output schema 'essay' "
        f"(known: {', '.join(sorted(OUTPUT_SCHEMAS))})",
        id="toml-unknown-output-schema",
    ),
    pytest.param(
        "flow.yaml",
        YAML_HEAD + "  - id: sum\n    kind: llm\n    prompt: x\n    tier: gpt\n",
        9,
        "steps[1].tier: Input should be 'haiku', 'sonnet', 'opus' or 'auto', got 'gpt'",
        id="yaml-bad-tier",
    ),
    pytest.param(
        "flow.toml",
        TOML_HEAD + '\n[[steps]]\nid = "sum"\nkind = "llm"\nprompt = "x"\nceiling = "haiku"\n'
        'tier = "opus"\n',
        12,
        "steps[1].ceiling: ceiling 'haiku' is below the start tier 'opus'",
        id="toml-ceiling-below-tier",
    ),
    pytest.param(
        "flow.toml",
        TOML_HEAD + 'depends_on = "audit"\n',
        7,
        "steps[0].depends_on: Input should be a valid list, got 'audit'",
        id="toml-wrong-type",
    ),
    pytest.param(
        "flow.toml",
        TOML_HEAD + "params = { batch_size = 10, bandit = 3 }\n",
        7,
        "steps[0].params.bandit: Input should be a valid boolean, "
        "unable to interpret input (a param of security-audit)",
        id="toml-bad-param",
    ),
    pytest.param(
        "flow.yaml",
        YAML_HEAD + "    colour: red\n",
        6,
        "steps[0].colour: unknown key 'colour'",
        id="yaml-unknown-key",
    ),
    pytest.param(
        "flow.toml",
        'name = "flow"\n\n[[steps]]\nid = "sum"\nkind = "llm"\n',
        3,
        "steps[0]: missing key 'prompt'",
        id="toml-missing-field",
    ),
    pytest.param(
        "flow.toml",
        TOML_HEAD + '\n[[steps]]\nid = "sum"\nkind = "llm"\n\nprompt = """\nSay {audit}.\n"""\n',
        12,
        "steps[1].prompt: placeholder {audit} is not an upstream step "
        "(upstream: none; add depends_on)",
        id="toml-placeholder-without-dependency",
    ),
    pytest.param(
        "flow.toml",
        'name = "security-audit"\n' + TOML_HEAD.split("\n", 1)[1],
        1,
        "name: name 'security-audit' is already a catalog workflow",
        id="toml-name-clash",
    ),
    pytest.param(
        "flow.toml",
        TOML_HEAD + 'role = "Auditor\n',
        7,
        "TOML syntax error: Illegal character '\\n'",
        id="toml-syntax-error",
    ),
    pytest.param(
        "flow.yaml",
        YAML_HEAD + "    role: [Auditor\n  - id: b\n",
        7,
        "YAML syntax error: expected ',' or ']', but got ':'",
        id="yaml-syntax-error",
    ),
    pytest.param(
        "flow.yaml",
        YAML_HEAD + "    kind: llm\n",
        6,
        "duplicate key 'kind'",
        id="yaml-duplicate-key",
    ),
    pytest.param(
        "flow.yaml",
        "- just a list\n",
        1,
        "Input should be a valid dictionary or instance of WorkflowSpec",
        id="yaml-not-a-mapping",
    ),
]


@pytest.mark.parametrize(("filename", "text", "line", "message"), INVALID)
def test_invalid_specs_name_the_line(
    tmp_path: Path, filename: str, text: str, line: int, message: str
) -> None:
    path = write(tmp_path, filename, text)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert str(caught.value) == f"{path}:{line}: {message}"
    assert "\n" not in str(caught.value)


def test_an_unreadable_file_is_a_spec_error(tmp_path: Path) -> None:
    path = tmp_path / "gone.toml"
    with pytest.raises(SpecError, match=rf"^{path}:1: cannot read: "):
        load_spec(path)


def test_discover_lists_specs_and_broken_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "flows"
    monkeypatch.setenv("ATTUNE_WORKFLOWS", str(folder))
    assert spec_folder() == folder
    assert discover_specs(folder) == []
    folder.mkdir()
    write(folder, "a.toml", VALID_TOML)
    write(folder, "b.yml", "name: [\n")
    write(folder, "c.yaml", VALID_YAML)
    write(folder, "notes.md", "# not a spec\n")
    write(folder, ".hidden.toml", "junk")
    (folder / "sub.toml").mkdir()
    found = discover_specs(folder)
    assert [path.name for path, _ in found] == ["a.toml", "b.yml", "c.yaml"]
    assert isinstance(found[0][1], WorkflowSpec)
    assert isinstance(found[1][1], SpecError) and found[1][1].line == 2
    assert (
        str(found[2][1]) == f"{folder / 'c.yaml'}:1: name 'review-flow' is also {folder / 'a.toml'}"
    )


def test_spec_folder_defaults_under_attune_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ATTUNE_WORKFLOWS", raising=False)
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path))
    assert spec_folder() == tmp_path / "workflows"
