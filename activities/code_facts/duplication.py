"""Duplicated blocks across Python files: token windows with identifiers and literals
normalised, hashed, and merged into maximal clone pairs (the approach of PMD's CPD with
`--ignore-identifiers --ignore-literals`, applied to Python's own tokenizer).

Why not a library: pylint's `symilar` compares whole stripped lines, so a copy with a
renamed variable is no longer a copy, and it would bring pylint and astroid in for one
check; clonedigger has not been released since 2010. The tokenizer is Python's own, so
the tokens are exactly the language's.

What counts: only code inside functions, since module and class bodies are mostly
declarations and data tables (field lists, keyword dictionaries, registrations) that
read alike once normalised without being logic to extract. Imports are left out,
comments and blank lines do not exist for the comparison, and every name is `N` and
every literal `L`, so `total = price * 2` and `cost = amount * 3` read the same.
A clone is at least `min_tokens` tokens AND `min_lines` lines on both sides; windows that
recur more than `max_occurrences` times are not considered. Repetitive runs are not
clones either: `self.x = x` assignments, keyword arguments passed through, rows of a
table are one short shape repeated, and once normalised every such run matches every
other. A clone's diversity (distinct token 4-grams over all its 4-grams) must reach
`min_diversity`: on attune, tqdm, thefuck and rich, the boilerplate runs measured 0.09-
0.3, the duplicated logic above. Tables of whole statements escape that measure when
each row is long (`if self.x: kwargs["x"] = self.x`, `if isinstance(v, T): return F()`,
`if bad: raise ValueError("...")`): the 4-grams inside a row vary, but the rows are one
or two statement shapes repeated, declarative lists a reviewer would not fold into a
function. A clone's statement variety (distinct normalised statements over statements)
must reach `min_variety`: on 20 hand-labelled Django clones, the tables measured
0.43-0.57 and every block labelled worth extracting 0.8 or more. Nor is a run of calls
to one callee with keyword arguments (`parser.add_argument("--x", action=..., help=...)`
one after another, field or option definitions): each call is configuration, varied
enough to pass both measures, and folding the runs of two commands into one function
would couple options that only happen to be alike. On Django, all 14 such clones were
argparse `add_arguments` bodies.
"""

from __future__ import annotations

import ast
import io
import keyword
import token
import tokenize
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from activities.sources import read_source

DEFAULT_MIN_TOKENS = 50
DEFAULT_MIN_LINES = 6
DEFAULT_MAX_OCCURRENCES = 20
DEFAULT_MIN_DIVERSITY = 0.3
DEFAULT_MIN_VARIETY = 2 / 3
STATEMENT_ENDS = frozenset({";", "{", "}"})
GRAM = 4
SKIPPED_TYPES = frozenset(
    {token.COMMENT, token.NL, token.ENCODING, token.ENDMARKER, token.TYPE_COMMENT}
)
LITERALS = frozenset({token.NUMBER, token.STRING, token.FSTRING_START, token.FSTRING_MIDDLE,
                      token.FSTRING_END})  # fmt: skip
IMPORT_WORDS = frozenset({"import", "from"})
BARRIER = "\0"
"""Between two functions' tokens: part of no window, equal to nothing."""


class CloneSide(BaseModel):
    file: str
    line: int
    end_line: int

    @property
    def lines(self) -> int:
        return self.end_line - self.line + 1


class Clone(BaseModel):
    """A maximal pair of duplicated blocks."""

    first: CloneSide
    second: CloneSide
    tokens: int = Field(description="Normalised tokens the two blocks share")

    @property
    def lines(self) -> int:
        return min(self.first.lines, self.second.lines)


class CloneClass(BaseModel):
    """One block and its copies: clone pairs that share a block, merged."""

    sides: list[CloneSide] = Field(description="Every copy, by file and line")
    tokens: int = Field(description="The longest shared token run among the pairs")

    @property
    def lines(self) -> int:
        return min(side.lines for side in self.sides)


@dataclass(frozen=True)
class Tokens:
    file: str
    kinds: tuple[str, ...]
    lines: tuple[int, ...]


def normalised_tokens(source: str, file: str) -> Tokens:
    """The comparable tokens of a module, each with its line; empty when it does not
    tokenize (a syntax error is not ours to report here)."""
    kinds: list[str] = []
    lines: list[int] = []
    statement: list[tuple[str, int]] = []
    try:
        inside = _function_lines(ast.parse(source))
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in SKIPPED_TYPES:
                continue
            if tok.type == token.NAME:
                kind = tok.string if keyword.iskeyword(tok.string) else "N"
            elif tok.type in LITERALS:
                kind = "L"
            elif tok.type == token.INDENT:
                kind = "{"
            elif tok.type == token.DEDENT:
                kind = "}"
            elif tok.type == token.NEWLINE:
                kind = ";"
            else:
                kind = tok.string
            statement.append((kind, tok.start[0]))
            if tok.type in (token.NEWLINE, token.INDENT, token.DEDENT):
                _keep(statement, kinds, lines)
                statement = []
    except (tokenize.TokenError, SyntaxError, ValueError):
        return Tokens(file, (), ())
    _keep(statement, kinds, lines)
    kept_kinds: list[str] = []
    kept_lines: list[int] = []
    current = None
    for kind, line in zip(kinds, lines, strict=True):
        function = inside.get(line)
        if function is None:
            continue
        if current is not None and function != current:
            kept_kinds.append(BARRIER)  # a clone never runs from one function into the next
            kept_lines.append(line)
        current = function
        kept_kinds.append(kind)
        kept_lines.append(line)
    return Tokens(file, tuple(kept_kinds), tuple(kept_lines))


def _function_lines(tree: ast.Module) -> dict[int, int]:
    """Each line of a function body, with the index of the outermost function it is in
    (a nested function belongs to its enclosing one)."""
    inside: dict[int, int] = {}
    functions = (
        node
        for node in ast.walk(tree)  # breadth first: an enclosing function comes first
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.body
    )
    for index, node in enumerate(functions):
        end = node.end_lineno or node.body[-1].lineno
        for line in range(node.body[0].lineno, end + 1):
            inside.setdefault(line, index)
    return inside


def _keep(statement: list[tuple[str, int]], kinds: list[str], lines: list[int]) -> None:
    """Append a logical line's tokens unless it is an import statement."""
    if statement and statement[0][0] in IMPORT_WORDS:
        return
    for kind, line in statement:
        kinds.append(kind)
        lines.append(line)


def find_clones(
    modules: list[Tokens],
    min_tokens: int = DEFAULT_MIN_TOKENS,
    min_lines: int = DEFAULT_MIN_LINES,
    max_occurrences: int = DEFAULT_MAX_OCCURRENCES,
    min_diversity: float = DEFAULT_MIN_DIVERSITY,
    min_variety: float = DEFAULT_MIN_VARIETY,
) -> list[Clone]:
    """Maximal clone pairs between the modules (and between distant parts of one), the
    largest first. Each pair is found once, from the first window where it starts."""
    windows: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for index, module in enumerate(modules):
        for start, digest in _rolling(module.kinds, min_tokens):
            windows[digest].append((index, start))
    clones: list[Clone] = []
    for places in windows.values():
        if len(places) < 2 or len(places) > max_occurrences:
            continue
        for a, (ma, ia) in enumerate(places):
            for mb, ib in places[a + 1 :]:
                clone = _maximal(modules[ma], ia, modules[mb], ib, min_tokens, min_lines)
                if clone is None:
                    continue
                kinds = modules[ma].kinds[ia : ia + clone.tokens]
                if keyword_call_run(kinds):
                    continue
                if diversity(kinds) >= min_diversity and variety(kinds) >= min_variety:
                    clones.append(clone)
    clones.sort(key=lambda c: (-c.tokens, c.first.file, c.first.line, c.second.file))
    return clones


def diversity(kinds: tuple[str, ...]) -> float:
    """Distinct token 4-grams over all 4-grams: low for one short shape repeated."""
    grams = len(kinds) - GRAM + 1
    if grams <= 0:
        return 0.0
    return len({kinds[i : i + GRAM] for i in range(grams)}) / grams


def statements(kinds: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The tokens split at line ends and indentation; a clone's first and last statement
    may be cut."""
    found: list[tuple[str, ...]] = []
    current: list[str] = []
    for kind in kinds:
        if kind in STATEMENT_ENDS:
            if current:
                found.append(tuple(current))
            current = []
        else:
            current.append(kind)
    if current:
        found.append(tuple(current))
    return found


def variety(kinds: tuple[str, ...]) -> float:
    """Distinct statements over statements: low for a table whose rows are one or two
    statement shapes."""
    found = statements(kinds)
    return len(set(found)) / len(found) if found else 0.0


def keyword_call_run(kinds: tuple[str, ...]) -> bool:
    """Every statement after the first (which may start mid-call) calls one dotted
    callee, and keyword arguments are passed: declarative configuration."""
    run = statements(kinds)[1:]
    if len(run) < 2 or any("(" not in statement for statement in run):
        return False
    callees = {statement[: statement.index("(")] for statement in run}
    callee = callees.pop()
    return (
        not callees
        and bool(callee)
        and all(kind in ("N", ".") for kind in callee)
        and any("=" in statement for statement in run)
    )


_MOD = (1 << 61) - 1
_BASE = 1_000_003


def _rolling(kinds: tuple[str, ...], width: int):
    """(start, hash) of every window of `width` tokens that crosses no function boundary,
    in linear time (Rabin-Karp); a collision costs nothing, since `_maximal` compares the
    tokens themselves."""
    if len(kinds) < width:
        return
    codes = [_code(kind) for kind in kinds]
    barriers = [index for index, kind in enumerate(kinds) if kind == BARRIER]
    top = pow(_BASE, width - 1, _MOD)
    digest = 0
    for code in codes[:width]:
        digest = (digest * _BASE + code) % _MOD
    next_barrier = 0
    for start in range(len(codes) - width + 1):
        if start:
            digest = ((digest - codes[start - 1] * top) * _BASE + codes[start + width - 1]) % _MOD
        while next_barrier < len(barriers) and barriers[next_barrier] < start:
            next_barrier += 1
        if next_barrier == len(barriers) or barriers[next_barrier] >= start + width:
            yield start, digest


_CODES: dict[str, int] = {}


def _code(kind: str) -> int:
    return _CODES.setdefault(kind, len(_CODES) + 1)


def _maximal(
    a: Tokens, ia: int, b: Tokens, ib: int, min_tokens: int, min_lines: int
) -> Clone | None:
    if ia > 0 and ib > 0 and a.kinds[ia - 1] == b.kinds[ib - 1] != BARRIER:
        return None  # the same pair starts one token earlier
    limit = min(len(a.kinds) - ia, len(b.kinds) - ib)
    if a is b:
        limit = min(limit, ib - ia)  # the two blocks of one module must not overlap
    if limit < min_tokens or a.kinds[ia : ia + min_tokens] != b.kinds[ib : ib + min_tokens]:
        return None
    length = min_tokens
    while length < limit and a.kinds[ia + length] == b.kinds[ib + length] != BARRIER:
        length += 1
    first = CloneSide(file=a.file, line=a.lines[ia], end_line=a.lines[ia + length - 1])
    second = CloneSide(file=b.file, line=b.lines[ib], end_line=b.lines[ib + length - 1])
    if min(first.lines, second.lines) < min_lines:
        return None
    return Clone(first=first, second=second, tokens=length)


def _overlap(a: CloneSide, b: CloneSide) -> bool:
    """The same block: one file, sharing at least 80% of the longer span (looser, and
    chains of partly overlapping pairs would grow one span over unrelated code)."""
    if a.file != b.file:
        return False
    shared = min(a.end_line, b.end_line) - max(a.line, b.line) + 1
    return shared * 5 >= max(a.lines, b.lines) * 4


def clone_classes(clones: list[Clone]) -> list[CloneClass]:
    """Pairs that share a block merged into classes: a block copied into three files is
    one class of three, not three pairs. Overlapping copies in a file become one span.
    Largest first."""
    sides: list[CloneSide] = []
    parent: list[int] = []
    by_file: dict[str, list[int]] = defaultdict(list)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def node(side: CloneSide) -> int:
        for index in by_file[side.file]:
            known = sides[index]
            if _overlap(known, side):
                sides[index] = CloneSide(file=side.file, line=min(known.line, side.line),
                                         end_line=max(known.end_line, side.end_line))  # fmt: skip
                return index
        sides.append(side)
        parent.append(len(parent))
        by_file[side.file].append(len(sides) - 1)
        return len(sides) - 1

    tokens: dict[int, int] = {}
    for clone in clones:
        a, b = node(clone.first), node(clone.second)
        ra, rb = find(a), find(b)
        parent[ra] = rb
        tokens[rb] = max(tokens.get(rb, 0), tokens.pop(ra, 0), clone.tokens)
    members: dict[int, list[CloneSide]] = defaultdict(list)
    for index, side in enumerate(sides):
        members[find(index)].append(side)
    classes = []
    for root, group in members.items():
        spans: dict[str, list[CloneSide]] = defaultdict(list)
        for side in group:
            spans[side.file].append(side)
        merged = []
        for file, found in spans.items():
            found.sort(key=lambda s: s.line)
            current = found[0]
            for side in found[1:]:
                if side.line <= current.end_line:
                    current = CloneSide(file=file, line=current.line,
                                        end_line=max(current.end_line, side.end_line))  # fmt: skip
                else:
                    merged.append(current)
                    current = side
            merged.append(current)
        merged.sort(key=lambda s: (s.file, s.line))
        if len(merged) > 1:
            classes.append(CloneClass(sides=merged, tokens=tokens.get(root, 0)))
    classes.sort(key=lambda c: (-c.tokens, c.sides[0].file, c.sides[0].line))
    return classes


def clones_in(root: Path, files: list[str], **limits: int) -> list[Clone]:
    """Clone pairs among `files` (POSIX paths relative to `root`); files that cannot be
    read as source are left out."""
    modules = []
    for rel in files:
        source, _ = read_source(root / rel)
        if source is not None:
            modules.append(normalised_tokens(source, rel))
    return find_clones(modules, **limits)
