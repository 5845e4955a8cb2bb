"""refactor-plan: duplication, ranking, the patch builder and the branch writer on their
own, then the flow end to end on the real dev server and through the CLI, on git
repositories the tests make."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import TypeAdapter
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from activities.apply_branch import commit_patch
from activities.artifacts import ArtifactStore
from activities.code_facts.duplication import (
    BARRIER,
    Clone,
    CloneClass,
    CloneSide,
    clone_classes,
    diversity,
    find_clones,
    keyword_call_run,
    normalised_tokens,
    variety,
)
from activities.code_facts.facts import file_facts
from activities.code_review.rules import RULES
from activities.refactor_plan.activities import RefactorPlanActivities
from activities.refactor_plan.analysis import FileFacts
from activities.refactor_plan.patches import oldest_python, ruff_patch, split_diff
from activities.refactor_plan.plan import build_plan
from activities.reports import FINDINGS
from starter import runner
from tests.sarif_validator import NO_HOME_PAGE, find_validator, validate
from tests.test_bug_predict import GitRepo
from tests.test_cli import attune
from worker import running_worker
from workflows.code_facts import DeadCode, FileHistory, FileMetrics, FunctionMetrics
from workflows.refactor_plan.models import PlanBatch, RefactorPlanRequest
from workflows.registry import registry
from workflows.wire import PROGRESS_QUERY

ENTRY = registry().flows["refactor-plan"]

ORDERS = textwrap.dedent(
    """
    def order_total(order, catalogue):
        total = 0
        for line in order.lines:
            price = catalogue.price_of(line.sku)
            if price is None:
                raise KeyError(line.sku)
            discount = line.quantity // 10
            total += price * (line.quantity - discount)
        if order.coupon:
            total = total * 0.9
        return round(total, 2)
    """
)
# The same logic, every name and literal changed: a clone once normalised.
INVOICES = textwrap.dedent(
    """
    def invoice_sum(invoice, prices):
        amount = 0
        for item in invoice.items:
            cost = prices.lookup(item.code)
            if cost is None:
                raise LookupError(item.code)
            free = item.count // 12
            amount += cost * (item.count - free)
        if invoice.voucher:
            amount = amount * 0.8
        return round(amount, 3)
    """
)
# Close, but an operator differs every few lines: no 50-token window is shared.
NEAR_MISS = textwrap.dedent(
    """
    def invoice_sum(invoice, prices):
        amount = 1
        for item in invoice.items:
            cost = prices.lookup(item.code)
            if cost is not None:
                raise LookupError(item.code)
            free = item.count % 12
            amount -= cost * (item.count + free)
        if not invoice.voucher:
            amount = amount / 0.8
        return round(amount, 3)
    """
)
LEGACY = textwrap.dedent(
    """\
    import os
    import sys
    from typing import List


    class Legacy(object):
        def names(self, items: List[str]) -> List[str]:
            return [str(i) for i in items] + sys.argv


    def configure(host, port, user, password, timeout, retries, verbose):
        return (host, port, user, password, timeout, retries, verbose)


    def first(values):
        return values[0]
        print("never")
    """
)
NESTED = textwrap.dedent(
    """
    def route(kind, value, flags):
        if kind == "a":
            for flag in flags:
                if flag:
                    while value > {n}:
                        if value % 2:
                            value -= 3
                        value -= 1
        elif kind == "b":
            return 2
        elif kind == "c":
            return 3
        elif kind == "d":
            return 4
        return value
    """
)
INIT = "from .legacy import Legacy\n"


def tokens(source: str, file: str):
    return normalised_tokens(source, file)


def test_a_clone_across_two_files_is_found_with_both_places() -> None:
    clones = find_clones([tokens(ORDERS, "orders.py"), tokens(INVOICES, "invoices.py")])
    assert len(clones) == 1, clones
    clone = clones[0]
    sides = {(s.file, s.line, s.end_line) for s in (clone.first, clone.second)}
    assert sides == {("orders.py", 3, 12), ("invoices.py", 3, 12)}
    assert clone.tokens >= 50 and clone.lines == 10


def test_a_near_miss_is_not_a_clone() -> None:
    assert find_clones([tokens(ORDERS, "orders.py"), tokens(NEAR_MISS, "invoices.py")]) == []


def test_imports_module_data_and_small_blocks_are_not_clones() -> None:
    data = "import os\nimport sys\nfrom a import b, c, d\n" + "".join(
        f"FIELD_{n} = dict(name='f{n}', size={n}, kind='x', required=True)\n" for n in range(12)
    )
    twin = data.replace("FIELD", "OTHER")
    assert find_clones([tokens(data, "a.py"), tokens(twin, "b.py")]) == []
    small = "def f(a):\n    return a + 1\n"
    assert find_clones([tokens(small, "a.py"), tokens(small, "b.py")]) == []


def test_runs_of_one_repeated_shape_are_not_clones() -> None:
    def init(names: list[str]) -> str:
        body = "".join(f"        self.{n} = {n}\n" for n in names)
        return f"class C:\n    def __init__(self, {', '.join(names)}):\n{body}"

    first = init([f"a{i}" for i in range(12)])
    second = init([f"option_{i}" for i in range(14)])
    assert diversity(tokens(first, "a.py").kinds) < 0.2
    assert find_clones([tokens(first, "a.py"), tokens(second, "b.py")]) == []
    pair = [tokens(first, "a.py"), tokens(second, "b.py")]
    assert find_clones(pair, min_diversity=0, min_variety=0) != []
    assert diversity(tokens(ORDERS, "orders.py").kinds) > 0.5


def keyword_table(names: list[str]) -> str:
    """A deconstruct() of Django's kind: one `if`/assignment row per option."""
    rows = "".join(
        f"    if self.{n} is not None:\n        kwargs['{n}'] = self.{n}\n"
        if i % 3 == 0
        else f"    if self.{n}:\n        kwargs['{n}'] = self.{n}\n"
        for i, n in enumerate(names)
    )
    return f"def deconstruct(self):\n    kwargs = {{}}\n{rows}    return (self.path, [], kwargs)\n"


def test_a_table_of_statement_rows_is_not_a_clone() -> None:
    first = keyword_table(["sql", "reverse_sql", "hints", "elidable", "state", "atomic"])
    second = keyword_table(["fields", "name", "tablespace", "opclasses", "condition", "include"])
    pair = [tokens(first, "special.py"), tokens(second, "indexes.py")]
    assert diversity(pair[0].kinds) >= 0.3  # long rows: the 4-gram measure lets it through
    assert variety(pair[0].kinds) < 2 / 3
    assert find_clones(pair) == []
    assert find_clones(pair, min_variety=0) != []


def add_arguments(calls: list[str]) -> str:
    body = "".join(f"    parser.add_argument({call})\n" for call in calls)
    return f"def add_arguments(self, parser):\n{body}"


def test_a_run_of_keyword_calls_to_one_callee_is_not_a_clone() -> None:
    first = add_arguments([
        "'args', metavar='app_label', nargs='*'",
        "'--tag', '-t', action='append', dest='tags', help=('only these' 'tags')",
        "'--list-tags', action='store_true', default=[], help='list them'",
        "'--deploy', type=int",
        "'--fail-level', default='ERROR', choices=sorted(LEVELS), help='level'",
        "'--database', dest='databases', action='append', default=None",
        "'--verbose', '-v', '--loud', type=int, choices=[0, 1, 2, 3]",
    ])  # fmt: skip
    second = add_arguments([
        "'addrport', metavar='port', nargs='?'",
        "'--ipv6', '-6', action='store_true', dest='ipv6', help=('use' 'IPv6')",
        "'--nothreading', action='store_false', default=[], help='no threads'",
        "'--limit', type=float",
        "'--protocol', default='http', choices=sorted(SCHEMES), help='scheme'",
        "'--insecure', dest='insecure_serving', action='store_true', default=None",
        "'--workers', '-w', '--jobs', type=int, choices=[1, 2, 4, 8]",
    ])  # fmt: skip
    pair = [tokens(first, "check.py"), tokens(second, "runserver.py")]
    assert keyword_call_run(pair[0].kinds)
    # what the two other measures let through:
    assert diversity(pair[0].kinds) >= 0.3 and variety(pair[0].kinds) >= 2 / 3
    assert find_clones(pair) == []


def test_calls_among_other_statements_are_not_a_keyword_run() -> None:
    logic = tokens(ORDERS, "orders.py").kinds
    assert not keyword_call_run(logic)
    mixed = add_arguments([("a", "store", "x"), ("b", "store", "y")]) + "    parsed = 1\n"
    assert not keyword_call_run(tokens(mixed, "m.py").kinds)


def test_logic_of_as_many_statements_is_still_a_clone() -> None:
    orders = tokens(ORDERS, "orders.py")
    assert variety(orders.kinds) >= 2 / 3
    assert find_clones([orders, tokens(INVOICES, "invoices.py")]) != []


def test_a_clone_within_one_file_never_overlaps_itself() -> None:
    source = ORDERS + INVOICES.replace("invoice_sum", "other")
    clones = find_clones([tokens(source, "both.py")])
    assert len(clones) == 1
    first, second = clones[0].first, clones[0].second
    assert first.end_line < second.line


def test_a_clone_never_runs_from_one_function_into_the_next() -> None:
    two = textwrap.dedent(
        """
        def first(rows):
            total = 0
            for row in rows:
                total += row.size * 2
            return total


        def second(rows):
            names = [row.name for row in rows if row.name]
            names.sort(key=len)
            return ", ".join(names)
        """
    )
    module = tokens(two, "a.py")
    assert module.kinds.count(BARRIER) == 1
    assert 20 < module.kinds.index(BARRIER) < len(module.kinds) - 20
    other = tokens(two.replace("rows", "items"), "b.py")
    assert find_clones([module, other], min_tokens=50, min_lines=2) == []
    assert len(find_clones([module, other], min_tokens=20, min_lines=2)) == 2, "one a function"


def test_a_block_copied_three_times_is_one_class_of_three() -> None:
    third = ORDERS.replace("order_total", "receipt_total").replace("coupon", "stamp")
    modules = [
        tokens(ORDERS, "orders.py"),
        tokens(INVOICES, "invoices.py"),
        tokens(third, "receipts.py"),
        tokens(NEAR_MISS, "other.py"),
    ]
    pairs = find_clones(modules)
    assert len(pairs) == 3
    classes = clone_classes(pairs)
    assert len(classes) == 1
    assert [(s.file, s.line, s.end_line) for s in classes[0].sides] == [
        ("invoices.py", 3, 12), ("orders.py", 3, 12), ("receipts.py", 3, 12),
    ]  # fmt: skip
    assert classes[0].tokens == max(p.tokens for p in pairs) and classes[0].lines == 10


def test_overlapping_pairs_in_a_file_merge_and_distinct_blocks_stay_apart() -> None:
    def pair(a: tuple[str, int, int], b: tuple[str, int, int], n: int = 60) -> Clone:
        return Clone(
            first=CloneSide(file=a[0], line=a[1], end_line=a[2]),
            second=CloneSide(file=b[0], line=b[1], end_line=b[2]),
            tokens=n,
        )

    classes = clone_classes(
        [
            pair(("a.py", 10, 30), ("b.py", 1, 21), 90),
            pair(("a.py", 12, 32), ("c.py", 5, 25)),  # the same block of a.py, shifted
            pair(("a.py", 100, 110), ("d.py", 1, 11)),  # another block
        ]
    )
    assert [[(s.file, s.line, s.end_line) for s in c.sides] for c in classes] == [
        [("a.py", 10, 32), ("b.py", 1, 21), ("c.py", 5, 25)],
        [("a.py", 100, 110), ("d.py", 1, 11)],
    ]
    assert classes[0].tokens == 90


def test_unparsable_source_has_no_tokens() -> None:
    assert tokens("def broken(:\n", "b.py").kinds == ()


# --------------------------------------------------------------------------- ranking


def facts(file: str, *functions: FunctionMetrics) -> FileFacts:
    complexity = sum(f.complexity for f in functions)
    return FileFacts(
        metrics=FileMetrics(
            file=file, size_bytes=100, nloc=50, functions=len(functions),
            complexity=complexity, max_complexity=max(f.complexity for f in functions),
            max_function=functions[0].name,
        ),
        functions=list(functions),
    )  # fmt: skip


def fn(name: str, complexity: int = 1, length: int = 5, nesting: int = 0, params: int = 1):
    return FunctionMetrics(
        name=name, line=10, complexity=complexity, length=length, nloc=length,
        nesting=nesting, parameters=params,
    )  # fmt: skip


def test_ranking_puts_cheap_wins_and_churned_files_first() -> None:
    metrics = [
        facts("core.py", fn("handle", complexity=20, length=70, nesting=4)),
        facts("calm.py", fn("handle", complexity=20, length=70, nesting=4)),
        facts("tests/test_calm.py", fn("handle", complexity=20, length=70, nesting=4)),
        facts("util.py", fn("tidy", nesting=5, length=20), fn("build", params=8)),
    ]
    history = [
        FileHistory(file="core.py", commits=9, added=300, deleted=100, fixes=3, authors=2),
        FileHistory(file="README.md", commits=40, added=9000, deleted=9000, fixes=0, authors=5),
    ]
    clone = CloneClass(
        sides=[
            CloneSide(file="core.py", line=40, end_line=49),
            CloneSide(file="util.py", line=5, end_line=14),
        ],
        tokens=80,
    )
    dead = [
        DeadCode(file="util.py", line=30, end_line=31, kind="function", name="old",
                 confidence=60, message="unused function 'old'"),
        DeadCode(file="util.py", line=1, end_line=1, kind="import", name="os",
                 confidence=90, message="unused import 'os'"),
    ]  # fmt: skip
    plan = build_plan(metrics, history, [clone], dead)
    assert [i.rank for i in plan] == list(range(1, len(plan) + 1))
    assert [i.score for i in plan] == sorted((i.score for i in plan), reverse=True)
    kinds = {(i.kind, i.file) for i in plan}
    assert ("hotspot", "core.py") in kinds and ("hotspot", "calm.py") not in kinds
    assert ("dead-code", "util.py") in kinds
    assert not any(i.kind == "dead-code" and i.symbol == "os" for i in plan), "F401's job"
    by = {(i.kind, i.file): i for i in plan}
    churned, calm = by["long-function", "core.py"], by["long-function", "calm.py"]
    assert churned.score == pytest.approx(2 * calm.score, abs=0.02), "churn doubles it"
    in_tests = by["long-function", "tests/test_calm.py"]
    assert in_tests.score == pytest.approx(calm.score / 2, abs=0.02)
    assert in_tests.evidence[-1] == "in test code: half the benefit"
    assert by["deep-nesting", "util.py"].effort == "S"
    assert by["long-parameter-list", "util.py"].effort == "M"
    duplication = by["duplication", "core.py"]
    assert duplication.related[0].file == "util.py" and duplication.effort == "S"
    assert by["dead-code", "util.py"].score < by["deep-nesting", "util.py"].score
    for item in plan:
        assert item.evidence and item.effort_reason and item.benefit

    added_once = [h.model_copy(update={"commits": 1}) for h in history]
    assert not any(i.kind == "hotspot" for i in build_plan(metrics, added_once, [clone], dead))

    without_history = build_plan(metrics, None, [clone], dead)
    assert not any(i.kind == "hotspot" for i in without_history)
    again = {(i.kind, i.file): i for i in without_history}
    assert again["long-function", "core.py"].score == calm.score


# --------------------------------------------------------------------------- patches


def project(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    for name, text in {
        "pkg/__init__.py": INIT,
        "pkg/legacy.py": LEGACY,
        "pkg/orders.py": ORDERS,
        "pkg/invoices.py": INVOICES,
        "pkg/nested.py": NESTED.format(n=0),
        "pyproject.toml": '[project]\nname = "p"\nrequires-python = ">=3.10"\n',
    }.items():
        (root / name).write_text(text)
    return root


FILES = ["pkg/__init__.py", "pkg/invoices.py", "pkg/legacy.py", "pkg/nested.py", "pkg/orders.py"]


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git/objects" not in p.as_posix() and ".git/refs" not in p.as_posix()
        and ".git/logs" not in p.as_posix()
    }  # fmt: skip


def test_patch_builder_makes_a_git_diff_of_safe_fixes_without_writing(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    before = snapshot(root)
    patch = ruff_patch(root, FILES)
    assert snapshot(root) == before, "a patch is offered, never written"
    assert [p.file for p in patch.files] == ["pkg/legacy.py"]
    legacy = patch.files[0]
    assert legacy.rules["F401"] == 1 and legacy.rules["UP004"] == 1 and legacy.rules["UP006"] == 2
    assert patch.text.startswith("diff --git a/pkg/legacy.py b/pkg/legacy.py\n--- a/pkg/legacy.py")
    assert "-import os\n" in patch.text and "+class Legacy:\n" in patch.text
    assert "-import sys" not in patch.text
    assert not any(f.file == "pkg/__init__.py" for f in patch.files), "re-exports stay"
    assert {f.rule_id for f in patch.findings} >= {"F401", "UP004", "UP006"}
    assert patch.python_version == "py310"
    assert patch.python_source == "python_requires '>=3.10' in pyproject.toml"
    checked = subprocess.run(
        ["git", "apply", "--check", "-"], cwd=root, input=patch.text, text=True,
        capture_output=True,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr


def test_patch_goes_only_as_far_as_the_oldest_python_allows(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "m.py").write_text("from typing import Optional\n\n\ndef f(x: Optional[int]): ...\n")
    assert oldest_python(root) == (
        "py37",
        "no requires-python found: the oldest version ruff targets",
    )
    assert ruff_patch(root, ["m.py"]).files == []
    assert ruff_patch(root, ["m.py"], "py39").files == []
    newer = ruff_patch(root, ["m.py"], "py310")
    assert "+def f(x: int | None): ..." in newer.text
    (root / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.8.1, <4"\n')
    assert oldest_python(root)[0] == "py38"
    (root / "pyproject.toml").write_text('[project]\nrequires-python = "~=3.11"\n')
    assert "+def f(x: int | None): ..." in ruff_patch(root, ["m.py"]).text
    (root / "pyproject.toml").unlink()
    (root / "setup.cfg").write_text("[options]\npython_requires = >=3.12\n")
    assert oldest_python(root) == ("py312", "python_requires '>=3.12' in setup.cfg")


def test_a_project_that_still_runs_python_2_gets_only_unused_imports_removed(
    tmp_path: Path,
) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "setup.py").write_text("setup(name='old', python_requires='>=2.7, !=3.0.*, !=3.1.*')\n")
    (root / "m.py").write_text("import os\n\n\nclass A(object):\n    pass\n")
    version, why = oldest_python(root)
    assert version is None and "allows Python 2.7" in why
    patch = ruff_patch(root, ["m.py"])
    assert [p.rules for p in patch.files] == [{"F401": 1}]
    assert "-import os" in patch.text
    assert "+class A:" not in patch.text


def test_split_diff_reads_hunk_lengths_not_dashes() -> None:
    diff = (
        "--- a.py\n+++ a.py\n@@ -1,3 +1,2 @@\n x = 1\n--- y\n z\n"
        "--- b.py\n+++ b.py\n@@ -1 +1 @@\n-old\n+new\n\\ No newline at end of file\n"
    )
    parts = split_diff(diff)
    assert [path for path, _ in parts] == ["a.py", "b.py"]
    assert parts[0][1][-2:] == ["--- y", " z"]
    assert parts[1][1][-1] == "\\ No newline at end of file"


# --------------------------------------------------------------------------- apply


def repo_with_project(path: Path) -> GitRepo:
    repo = GitRepo(path)
    project(path / "app")
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "initial import")
    return repo


def test_apply_commits_to_a_new_branch_and_leaves_the_checkout_alone(tmp_path: Path) -> None:
    repo = repo_with_project(tmp_path / "repo")
    target = repo.path / "app"  # a subdirectory: patch paths are relative to it
    (target / "pkg" / "orders.py").write_text(ORDERS + "\n# an edit in progress\n")
    (repo.path / "staged.txt").write_text("staged\n")
    repo.git("add", "staged.txt")
    patch = ruff_patch(target, FILES).text
    before, head = snapshot(repo.path), repo.git("rev-parse", "HEAD").strip()
    branch_before = repo.git("symbolic-ref", "HEAD").strip()

    first = commit_patch(target, patch, "attune/refactor-test", "ruff fixes\n")
    assert first.status == "committed" and first.base == head
    assert snapshot(repo.path) == before, "the working tree and the index are untouched"
    assert repo.git("symbolic-ref", "HEAD").strip() == branch_before
    fixed = repo.git("show", "attune/refactor-test:app/pkg/legacy.py")
    assert "import os" not in fixed and "class Legacy:" in fixed and "list[str]" in fixed
    assert repo.git("rev-parse", "attune/refactor-test^").strip() == head
    changed = repo.git("diff", "--name-only", head, "attune/refactor-test").split()
    assert changed == ["app/pkg/legacy.py"]

    retry = commit_patch(target, patch, "attune/refactor-test", "ruff fixes\n")
    assert (retry.status, retry.commit) == ("unchanged", first.commit)
    assert repo.git("rev-list", "--count", "attune/refactor-test").strip() == "2"
    assert snapshot(repo.path) == before


def test_apply_is_refused_before_the_run_without_a_repository(tmp_path: Path) -> None:
    plain = project(tmp_path / "plain")
    ENTRY.check(RefactorPlanRequest(target=str(plain)))  # no apply, no git needed
    with pytest.raises(ValueError, match=r"--apply commits to a new git branch, and .* not inside"):
        ENTRY.check(RefactorPlanRequest(target=str(plain), apply=True))
    empty = GitRepo(tmp_path / "empty")
    with pytest.raises(ValueError, match="has no commits yet"):
        ENTRY.check(RefactorPlanRequest(target=str(empty.path), apply=True))
    repo = repo_with_project(tmp_path / "repo")
    a_file = repo.path / "app" / "pkg" / "legacy.py"
    ENTRY.check(RefactorPlanRequest(target=str(a_file), apply=True))


def test_apply_refuses_what_does_not_apply_and_never_moves_a_branch(tmp_path: Path) -> None:
    repo = repo_with_project(tmp_path / "repo")
    legacy = repo.path / "app" / "pkg" / "legacy.py"
    legacy.write_text(legacy.read_text().replace("import sys\n", "import sys\nimport json\n"))
    patch = ruff_patch(repo.path / "app", FILES).text  # made from the edited file
    failed = commit_patch(repo.path / "app", patch, "attune/refactor-x", "m\n")
    assert failed.status == "failed" and "does not apply to HEAD" in failed.reason
    repo.git("branch", "attune/refactor-y")
    legacy.write_text(LEGACY)
    clean = ruff_patch(repo.path / "app", FILES).text
    taken = commit_patch(repo.path / "app", clean, "attune/refactor-y", "m\n")
    assert taken.status == "failed" and "exists already" in taken.reason
    assert commit_patch(repo.path / "app", "", "attune/refactor-z", "m\n").status == (
        "nothing-to-apply"
    )


# --------------------------------------------------------------------------- the flow


def churned_repo(path: Path) -> GitRepo:
    repo = repo_with_project(path)
    for n in range(1, 5):
        repo.commit(f"fix: route edge case #{n}", {"app/pkg/nested.py": NESTED.format(n=n)})
    return repo


async def plan_run(client: Client, target: Path, **params):
    request = RefactorPlanRequest(target=str(target), **params)
    async with running_worker(client):
        handle = await runner.start_workflow(client, ENTRY, request)
        result = await handle.result()
        progress = await handle.query(PROGRESS_QUERY)
    return result, progress


async def test_refactor_plan_end_to_end_with_apply(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    repo = churned_repo(tmp_path / "repo")
    target = repo.path / "app"
    before = snapshot(repo.path)
    result, progress = await plan_run(client, target, apply=True, batch_size=2, chunk_size=1)
    assert result.status == "completed" and result.history == "ok"
    assert progress["stage"] == "done" and progress["done"] == progress["total"] == 8
    kinds = {i.kind for i in result.plan}
    assert {"hotspot", "duplication", "deep-nesting", "long-parameter-list"} <= kinds
    assert result.plan[0].rank == 1
    assert [p.file for p in result.patches] == ["pkg/legacy.py"]
    applied = result.applied
    assert applied.status == "committed"
    assert applied.branch == f"attune/refactor-{result.run_id[-8:]}"
    assert "class Legacy:" in repo.git("show", f"{applied.branch}:app/pkg/legacy.py")
    assert snapshot(repo.path) == before

    report = json.loads(Path(result.artifacts["json"]).read_text())
    assert report["workflow"] == "refactor-plan"
    assert len(report["plan"]) == result.plan_total >= len(result.plan)
    assert all({"rank", "kind", "file", "line", "evidence", "effort", "benefit"} <= set(i)
               for i in report["plan"])  # fmt: skip
    duplication = next(i for i in report["plan"] if i["kind"] == "duplication")
    assert {duplication["file"], duplication["related"][0]["file"]} == {
        "pkg/orders.py", "pkg/invoices.py",
    }  # fmt: skip
    assert report["facts"]["clone_classes"] == 1
    dead = [i for i in report["plan"] if i["kind"] == "dead-code"]
    assert any(i["symbol"] == "print" or "unreachable" in i["evidence"][0] for i in dead)
    assert report["applied"]["status"] == "committed"
    assert report["llm"]["status"] == "skipped" and report["llm"]["reason"]
    assert report["warnings"] == []
    findings = ArtifactStore().get(result.findings, FINDINGS)
    assert {"ATRP001", "ATRP005", "F401"} <= {f.rule_id for f in findings}
    patch = Path(result.artifacts["patch"]).read_text()
    assert patch.startswith("diff --git a/pkg/legacy.py")
    markdown = Path(result.artifacts["markdown"]).read_text()
    assert "## Refactoring plan" in markdown and "## Mechanical patches" in markdown
    assert applied.branch in markdown
    sarif = json.loads(Path(result.artifacts["sarif"]).read_text())
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"ATRP001", "ATRP005"}


async def test_refactor_plan_without_git_leaves_hotspots_out_and_says_why(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    root = project(tmp_path / "plain")
    result, progress = await plan_run(client, root)
    assert progress["done"] == progress["total"] == 7
    assert result.history == "skipped" and "not inside a git repository" in result.history_reason
    assert result.applied.status == "not-requested"
    assert not any(i.kind == "hotspot" for i in result.plan)
    report = json.loads(Path(result.artifacts["json"]).read_text())
    assert report["warnings"][0]["code"] == "history-skipped"
    assert "Hotspots left out" in Path(result.artifacts["markdown"]).read_text()
    assert (root / "pkg" / "legacy.py").read_text() == LEGACY


async def test_refactor_plan_and_bug_predict_share_the_cached_metrics(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_bug_predict import predict

    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    root = project(tmp_path / "plain")
    first, _ = await plan_run(client, root)
    assert (first.cache_hits, first.cache_misses) == (0, len(FILES))

    again, _ = await plan_run(client, root)
    assert (again.cache_hits, again.cache_misses) == (len(FILES), 0)
    assert again.usage is not None, "the usage memo counts the content cache"
    assert (again.usage.scan_cache_hits, again.usage.scan_cache_misses) == (len(FILES), 0)
    report = json.loads(Path(again.artifacts["json"]).read_text())
    assert report["cache"] == {"hits": len(FILES), "misses": 0}
    assert report["plan"] == json.loads(Path(first.artifacts["json"]).read_text())["plan"]

    (root / "pkg" / "nested.py").write_text(NESTED.format(n=1))
    edited, _ = await plan_run(client, root)
    assert (edited.cache_hits, edited.cache_misses) == (len(FILES) - 1, 1)

    _, predicted, _ = await predict(client, root)
    assert (predicted.cache_hits, predicted.cache_misses) == (len(FILES), len(FILES)), (
        "bug-predict reads the metrics refactor-plan measured, and finds its patterns"
    )


async def test_apply_without_git_fails_with_a_clear_cause(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from temporalio.client import WorkflowFailureError

    from workflows.errors import root_cause

    monkeypatch.setenv("ATTUNE_HOME", str(tmp_path / "home"))
    root = project(tmp_path / "plain")
    with pytest.raises(WorkflowFailureError) as failure:
        await plan_run(client, root, apply=True)
    assert "not inside a git repository" in root_cause(failure.value)


# --------------------------------------------------------------------------- the CLI


def test_cli_apply_is_refused_where_it_cannot_write(cli_env: dict[str, str], tmp_path: Path):
    root = project(tmp_path / "plain")
    done = attune(cli_env, "workflow", "run", "bug-predict", str(root), "--apply")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].endswith("bug-predict does not write changes")
    for flag in (("--apply",), ("--param", "apply=true")):
        done = attune(cli_env, "workflow", "run", "refactor-plan", str(root), *flag)
        assert done.returncode == 2, done.stderr
        assert "not inside a git repository" in done.stderr


def test_cli_runs_refactor_plan_and_applies(cli_env: dict[str, str], tmp_path: Path) -> None:
    repo = churned_repo(tmp_path / "repo")
    out = tmp_path / "reports"
    args = ("workflow", "run", "refactor-plan", str(repo.path / "app"), "--out", str(out))
    done = attune(cli_env, *args, "--apply")
    assert done.returncode == 0, done.stderr
    assert (
        "refactoring plan: top" in done.stdout and "applied: branch attune/refactor-" in done.stdout
    )
    assert {p.name for p in out.iterdir()} == {
        "report.md", "report.json", "report.sarif", "refactor.patch",
    }  # fmt: skip
    branches = repo.git("branch", "--list", "attune/refactor-*").split()
    assert len(branches) == 1
    validator = find_validator()  # the SARIF check runs where the validator is installed
    if validator is not None:
        validation = validate(out / "report.sarif", validator)
        assert validation.errors == [], validation.output
        assert [w for w in validation.warnings if not w.startswith(NO_HOME_PAGE)] == []


def test_metrics_only_facts_lint_nothing_and_are_keyed_without_rules(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    cache = tmp_path / "cache.sqlite"
    first = file_facts(root, FILES, None, cache_file=cache)
    assert (first.hits, first.misses) == (0, len(FILES))
    assert all(f.lint == [] for f in first.facts) and len(first.facts) == len(FILES)
    again = file_facts(root, FILES, None, "strict", cache)
    assert (again.hits, again.misses) == (len(FILES), 0), "no rule selection in the key"
    assert again.facts == first.facts
    linted = file_facts(root, FILES, RULES, "default", cache)
    assert linted.misses == len(FILES), "facts with lint are another entry"
    assert any(f.lint for f in linted.facts)


async def test_measure_batch_resumes_after_its_last_heartbeated_chunk(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    store = ArtifactStore(tmp_path / "home")
    batch = PlanBatch(
        run_key="wf/run",
        target=str(root),
        files=store.put("runs/wf/run/files.json", FILES, TypeAdapter(list[str]), len(FILES)),
        index=0,
        start=0,
        end=len(FILES),
        chunk_size=2,
    )
    with ThreadPoolExecutor(1) as pool:
        activities = RefactorPlanActivities(store, pool)
        first = ActivityEnvironment()
        beats: list = []
        first.on_heartbeat = lambda *details: beats.append(details[0])
        whole = await first.run(activities.measure_batch, batch)
        assert [b["next_index"] for b in beats] == [2, 4, 5]

        retry = ActivityEnvironment()
        retry.info = dataclasses.replace(retry.info, attempt=2, heartbeat_details=[beats[0]])
        resumed = await retry.run(activities.measure_batch, batch)
    assert (whole.resumed_from, resumed.resumed_from) == (0, 2)
    assert resumed.files_analyzed == whole.files_analyzed == 5
    facts = TypeAdapter(list[FileFacts])
    assert store.get(resumed.facts, facts) == store.get(whole.facts, facts)


def test_a_bare_third_party_import_stays_it_may_be_there_for_its_side_effects(
    tmp_path: Path,
) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.9"\n')
    (root / "setup.py").write_text(
        "import os\nimport fastentrypoints\nfrom json import dumps\n\n\nclass A(object):\n"
        "    pass\n"
    )
    (root / "m.py").write_text("import os\nimport numpy as np\n")
    patch = ruff_patch(root, ["m.py", "setup.py"])
    by_file = {p.file: p.rules for p in patch.files}
    assert by_file == {"m.py": {"F401": 2}, "setup.py": {"UP004": 1}}
    setup_hunks = patch.text.split("diff --git a/setup.py")[1]
    assert "+class A:" in setup_hunks and "-import" not in setup_hunks
    held = [f for f in patch.findings if f.file == "setup.py" and f.rule_id == "F401"]
    assert [(f.line, "side effects" in f.message, "left out" in f.message) for f in held] == [
        (1, False, True), (2, True, True), (3, False, True),
    ]  # fmt: skip
