"""performance-audit's newer AST rules (ATNP006, ATNP007) and the widened or narrowed ones
(ATNP003's `s = s + x`, ATNP004's Django managers, loops over a literal): each against its
slow code and a clean twin that differs only in what makes the cost go away."""

from __future__ import annotations

import textwrap

import pytest

from activities.performance_audit.rules import find_performance_issues

# name -> (rule, slow code, its clean twin)
CASES: dict[str, tuple[str, str, str]] = {
    "list drained from the front": (
        "ATNP006",
        """
        def order(graph, roots):
            queue = list(roots)
            seen = set()
            while queue:
                node = queue.pop(0)
                seen.add(node)
                queue.extend(graph[node])
            return seen
        """,
        """
        from collections import deque

        def order(graph, roots):
            queue = deque(roots)
            seen = set()
            while queue:
                node = queue.popleft()
                seen.add(node)
                queue.extend(graph[node])
            bits = ["a", "b"]
            first = bits.pop(0)
            return seen, first
        """,
    ),
    "parameter copied to a list, then drained": (
        "ATNP006",
        """
        def promote(aliases):
            aliases = list(aliases)
            while aliases:
                alias = aliases.pop(0)
                print(alias)
        """,
        """
        def promote(aliases):
            while aliases:
                alias = aliases.pop(0)
                print(alias)
        """,
    ),
    "collection rebuilt every iteration": (
        "ATNP007",
        """
        def top(scores):
            best = []
            for score in scores:
                if score == max(scores):
                    best.append(score)
            return best
        """,
        """
        def top(scores):
            best = []
            highest = max(scores)
            for score in scores:
                if score == highest:
                    best.append(score)
            for score in list(scores):
                scores.append(score)
                if score in set(scores):
                    break
            for score in range(3):
                if score:
                    return sorted(scores)
            for score in scores:
                report(score, seen=list(scores))
            for limit in (1, 2, 3):
                best.append(max(scores) > limit)
            return best
        """,
    ),
    "constant regex in a loop over the input, not over a literal": (
        "ATNP001",
        """
        import re

        def keys(names):
            for name in names:
                yield re.sub("[^a-z]", "", name)
        """,
        """
        import re

        def keys(first, second):
            for name in (first, second):
                yield re.sub("[^a-z]", "", name)
            pair = [first, second]
            for name in pair:
                yield re.sub("[^a-z]", "", name)
        """,
    ),
    "string grown with s = s + x": (
        "ATNP003",
        """
        def csv(rows):
            line = ""
            for row in rows:
                line = line + row + ","
            return line
        """,
        """
        def csv(rows):
            line = ""
            for row in rows:
                line = row + line
            total = 0
            for row in rows:
                total = total + len(row)
            return line, total
        """,
    ),
    "Django default manager in a loop": (
        "ATNP004",
        """
        def owners(model, pks):
            for pk in pks:
                yield model._default_manager.get(pk=pk)
        """,
        """
        def owners(model, pks):
            found = model._default_manager.in_bulk(pks)
            for pk in pks:
                yield found[pk]
        """,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rule_finds_the_slow_code_and_not_its_twin(case: str) -> None:
    rule, slow, clean = CASES[case]
    found = find_performance_issues(textwrap.dedent(slow), "m.py")
    assert [f.rule_id for f in found] == [rule], found
    assert "(impact: " in found[0].message
    assert "Fix: " in found[0].message and found[0].snippet
    assert find_performance_issues(textwrap.dedent(clean), "m.py") == []


def test_shapes_cpython_hides_are_strict_only() -> None:
    code = textwrap.dedent(
        """
        LIMITS = (1, 2)

        def render(rows, chunks):
            text = ""
            data = b""
            for row in rows:
                text += row
                data += chunks[row]
                if len(LIMITS) > row:
                    yield row
            return text, data
        """
    )
    strict = [(f.rule_id, f.line) for f in find_performance_issues(code, "m.py")]
    assert strict == [("ATNP003", 8), ("ATNP003", 9), ("ATNP005", 10)]
    default = find_performance_issues(code, "m.py", "default")
    assert [(f.rule_id, f.line) for f in default] == [("ATNP003", 9)]
    assert default[0].message.startswith("bytes 'data' built with +=")
