"""Function summaries over the whole target, and the flows they reveal.

A summary says which parameters reach the return value, which sources the return value
carries, and which parameters reach which sinks, each with the path it takes. Summaries
only grow (a key once found keeps its first, shortest path), so the worklist fixpoint
terminates even on recursion; paths longer than `max_depth` calls and returns are cut,
and the solver stops at its time budget, saying so (`complete=False`).

A call whose callee is not in the target (a library, or a module without facts) lets
its arguments through to its result: the extractor already treats sanitisers and
value-less calls as clean, so what remains is mostly string and container plumbing.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from activities.security_audit.scanners.ast_rules import TOOL
from activities.security_audit.scanners.taint import catalog
from activities.security_audit.scanners.taint.facts import CallFact, FunctionFacts, ModuleFacts
from workflows.schemas import CONFIDENCE_RANK, Finding, FlowStep
from workflows.security_audit.models import TaintStats

MAX_DEPTH = 6
BUDGET_S = 60.0
_CHECK_EVERY = 256

Step = tuple[str, str, int, int, str]
Trace = tuple[Step, ...]
Origin = tuple  # ("p", param) or ("s", function key, source index)
SinkKey = tuple[int, int]  # function key, sink index


@dataclass
class _Function:
    key: int
    file: str
    facts: FunctionFacts


@dataclass
class _Summary:
    ret_params: dict[int, Trace] = field(default_factory=dict)
    ret_sources: dict[Origin, Trace] = field(default_factory=dict)
    param_sinks: dict[tuple[int, SinkKey], Trace] = field(default_factory=dict)


def _hops(trace: Trace) -> int:
    return sum(1 for step in trace if step[0] in ("call", "return"))


def _short(name: str) -> str:
    return ".".join(name.split(".")[-2:])


class _Solver:
    def __init__(self, modules: list[ModuleFacts], max_depth: int, budget_s: float) -> None:
        self.max_depth = max_depth
        self.deadline = time.perf_counter() + budget_s
        self.functions: list[_Function] = []
        self.by_name: dict[str, int] = {}
        suffixes: dict[str, list[int]] = defaultdict(list)
        self.imports = {m.module: m.imports for m in modules}
        for module in modules:
            for facts in module.functions:
                key = len(self.functions)
                self.functions.append(_Function(key, module.file, facts))
                self.by_name[facts.name] = key
                parts = module.module.split(".")
                for start in range(1, len(parts)):
                    suffixes[facts.name.split(".", start)[-1]].append(key)
        self.by_suffix = {name: keys[0] for name, keys in suffixes.items() if len(keys) == 1}
        self.summaries = [_Summary() for _ in self.functions]
        self.callees: dict[tuple[int, int], int | None] = {}
        self.findings: dict[tuple[str, int, int], tuple[Origin, SinkKey, Trace]] = {}
        self.evaluations = 0

    # --- resolution ---------------------------------------------------------------------

    def lookup(self, name: str) -> int | None:
        """A callee's function: by qualified name, a unique module-path suffix (a `src/`
        layout), or through a package's re-export (`from .db import run`)."""
        for _ in range(4):
            key = self.by_name.get(name)
            if key is None:
                key = self.by_suffix.get(name)
            if key is not None:
                return key
            module, _, last = name.rpartition(".")
            target = self.imports.get(module, {}).get(last)
            if target is None or target == name:
                return None
            name = target
        return None

    def callee(self, function: _Function, index: int) -> int | None:
        key = (function.key, index)
        if key not in self.callees:
            self.callees[key] = self.lookup(function.facts.calls[index].callee)
        return self.callees[key]

    # --- evaluation -----------------------------------------------------------------------

    def solve(self) -> bool:
        """Worklist fixpoint; False if the time budget ran out first."""
        callers: dict[int, set[int]] = defaultdict(set)
        for function in self.functions:
            for index in range(len(function.facts.calls)):
                target = self.callee(function, index)
                if target is not None:
                    callers[target].add(function.key)
        pending = list(range(len(self.functions)))
        queued = set(pending)
        while pending:
            key = pending.pop()
            queued.discard(key)
            self.evaluations += 1
            if self.evaluations % _CHECK_EVERY == 0 and time.perf_counter() > self.deadline:
                return False
            if self.evaluate(self.functions[key]):
                for caller in callers[key]:
                    if caller not in queued:
                        queued.add(caller)
                        pending.append(caller)
        return True

    def evaluate(self, function: _Function) -> bool:
        facts = function.facts
        memo: dict[str, dict[Origin, Trace]] = {}

        def resolve_all(labels: list[str]) -> dict[Origin, Trace]:
            found: dict[Origin, Trace] = {}
            for label in labels:
                for origin, trace in resolve(label).items():
                    _keep(found, origin, trace)
            return found

        def resolve(label: str) -> dict[Origin, Trace]:
            if label in memo:
                return memo[label]
            memo[label] = {}
            index = int(label[1:])
            if label[0] == "p":
                found: dict[Origin, Trace] = {("p", index): ()}
            elif label[0] == "s":
                source = facts.sources[index]
                step = ("source", function.file, source.line, source.column, source.note)
                found = {("s", function.key, index): (step,)}
            else:
                found = self._call_result(function, index, resolve_all)
            memo[label] = found
            return found

        summary = self.summaries[function.key]
        changed = False
        for origin, trace in resolve_all(facts.returns).items():
            if origin[0] == "p":
                changed |= _add(summary.ret_params, origin[1], trace)
            else:
                changed |= _add(summary.ret_sources, origin, trace)
        for index, sink in enumerate(facts.sinks):
            step = ("sink", function.file, sink.line, sink.column, f"reaches {sink.what}")
            for origin, trace in resolve_all(sink.labels).items():
                changed |= self._reach(summary, origin, (function.key, index), (*trace, step))
        for index, call in enumerate(facts.calls):
            target = self.callee(function, index)
            if target is None or not self.summaries[target].param_sinks:
                continue
            positions = self._positions(call, self.functions[target].facts)
            hop = self._call_step(function, call, target)
            for (param, sink_key), inner in list(self.summaries[target].param_sinks.items()):
                labels = positions.get(param)
                if not labels:
                    continue
                for origin, trace in resolve_all(labels).items():
                    changed |= self._reach(summary, origin, sink_key, (*trace, hop, *inner))
        return changed

    def _call_result(self, function: _Function, index: int, resolve_all) -> dict[Origin, Trace]:
        call = function.facts.calls[index]
        target = self.callee(function, index)
        if target is None:
            return resolve_all([label for labels in (*call.args, *call.kwargs.values())
                                for label in labels])  # fmt: skip
        found: dict[Origin, Trace] = {}
        summary = self.summaries[target]
        name = self.functions[target].facts.name
        back = ("return", function.file, call.line, call.column, f"returned by {_short(name)}()")
        positions = self._positions(call, self.functions[target].facts)
        hop = self._call_step(function, call, target)
        for param, inner in summary.ret_params.items():
            for origin, trace in resolve_all(positions.get(param, [])).items():
                self._keep_bounded(found, origin, (*trace, hop, *inner, back))
        for origin, inner in summary.ret_sources.items():
            self._keep_bounded(found, origin, (*inner, back))
        return found

    def _positions(self, call: CallFact, callee: FunctionFacts) -> dict[int, list[str]]:
        """Which labels each parameter of the callee receives."""
        offset = 1 if call.bound else 0
        positions = {i + offset: labels for i, labels in enumerate(call.args) if labels}
        for name, labels in call.kwargs.items():
            if name in callee.params:
                positions[callee.params.index(name)] = labels
        return positions

    def _call_step(self, function: _Function, call: CallFact, target: int) -> Step:
        callee = self.functions[target].facts
        return ("call", function.file, call.line, call.column, f"passed to {_short(callee.name)}()")

    def _keep_bounded(self, found: dict[Origin, Trace], origin: Origin, trace: Trace) -> None:
        if _hops(trace) <= self.max_depth:
            _keep(found, origin, trace)

    def _reach(self, summary: _Summary, origin: Origin, sink: SinkKey, trace: Trace) -> bool:
        """A path to a sink: a parameter's goes into the summary, a source's is a flow."""
        if _hops(trace) > self.max_depth:
            return False
        if origin[0] == "p":
            return _add(summary.param_sinks, (origin[1], sink), trace)
        self._flow(origin, sink, trace)
        return False

    def _flow(self, origin: Origin, sink_key: SinkKey, trace: Trace) -> None:
        sink_function = self.functions[sink_key[0]]
        sink = sink_function.facts.sinks[sink_key[1]]
        source = self.functions[origin[1]].facts.sources[origin[2]]
        if sink.cwe in catalog.TRUSTED_SINKS.get(source.kind, ()):
            return
        key = (sink_function.file, sink.anchor_line, sink.cwe)
        known = self.findings.get(key)
        if known is not None:
            known_source = self.functions[known[0][1]].facts.sources[known[0][2]]
            rank = (CONFIDENCE_RANK[source.confidence], -len(trace))
            if rank <= (CONFIDENCE_RANK[known_source.confidence], -len(known[2])):
                return
        self.findings[key] = (origin, sink_key, trace)

    # --- findings -------------------------------------------------------------------------

    def report(self) -> list[Finding]:
        findings = []
        for (file, _, _), (origin, sink_key, trace) in sorted(self.findings.items()):
            sink = self.functions[sink_key[0]].facts.sinks[sink_key[1]]
            source_function = self.functions[origin[1]]
            source = source_function.facts.sources[origin[2]]
            rule = catalog.RULE_BY_CWE[sink.cwe]
            calls = sum(1 for step in trace if step[0] == "call")
            where = (
                f"line {source.line}"
                if source_function.file == file
                else f"{source_function.file}:{source.line}"
            )
            via = f" through {calls} call{'s' if calls > 1 else ''}" if calls else ""
            findings.append(
                Finding(
                    rule_id=rule.id,
                    tool=TOOL,
                    tools=[TOOL],
                    category=rule.category,
                    severity=rule.severity,
                    confidence=source.confidence,
                    cwe=rule.cwe,
                    file=file,
                    line=sink.anchor_line,
                    column=sink.anchor_column,
                    message=f"{rule.title}: {source.note} ({where}) reaches {sink.what}{via}; "
                    f"{catalog.ADVICE[rule.cwe]}.",
                    snippet=sink.snippet,
                    flow=[
                        FlowStep(kind=kind, file=f, line=line, column=column, note=note)
                        for kind, f, line, column, note in trace
                    ],
                )
            )
        return findings


def _keep(found: dict[Origin, Trace], origin: Origin, trace: Trace) -> None:
    known = found.get(origin)
    if known is None or len(trace) < len(known):
        found[origin] = trace


def _add(table: dict, key: object, trace: Trace) -> bool:
    """Summaries only grow: a key keeps the first path found for it."""
    if key in table:
        return False
    table[key] = trace
    return True


def trace_flows(
    modules: list[ModuleFacts], max_depth: int = MAX_DEPTH, budget_s: float = BUDGET_S
) -> tuple[list[Finding], TaintStats]:
    """Every source-to-sink flow across the modules' functions, one finding per sink
    location and CWE (the most confident source, then the shortest path)."""
    start = time.perf_counter()
    solver = _Solver(modules, max_depth, budget_s)
    complete = solver.solve()
    findings = solver.report()
    stats = TaintStats(
        modules=len(modules),
        functions=len(solver.functions),
        evaluations=solver.evaluations,
        flows=len(findings),
        complete=complete,
        seconds=round(time.perf_counter() - start, 3),
    )
    return findings, stats
