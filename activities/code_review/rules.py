"""code-review's ruff rule table: which rules its default profile selects, and how it rates
each one (severity, confidence, and the review category: correctness, maintainability
or clarity).

Default profile, by family:
- correctness: pyflakes (F), flake8-bugbear (B) without its opinions, pylint's errors
  (PLE) and a curated handful of pylint warnings and ruff rules that are bugs, not style;
- maintainability: complexity (C901 over 15; pylint's branch count would repeat it) and
  pylint's size limits (returns, arguments, statements) at thresholds that flag
  outliers, not ordinary code (rich's keyword-rich APIs pass 10 arguments);
- clarity: a few simplifications (SIM), return consistency (RET501/502) and idioms older
  Python needed (UP) that ruff can fix on its own.
Left out as noisy on well-kept code (strict has them): B008 (calls in defaults: FastAPI,
typer), B009/B010 (getattr with a constant), B017, B024/B027 (abstract classes), B028
(warn stacklevel), B904 (raise from), B905 (zip strict), B911, RUF012 (mutable class
attributes: pydantic, Django). Also left out, by measurement (benchmarks/
code_review_django.py, labels in benchmarks/labels/code_review_django.jsonl): the rules at
precision <= 1/3 over at least 3 hand-labelled Django findings (MEASURED_NOISY).
`profile=strict` selects every family whole, with preview rules and ruff's default (lower)
thresholds.
"""

from __future__ import annotations

from activities.code_facts.lint import RuleMeta, RuleSet
from workflows.schemas import Confidence, Severity

CORRECTNESS, MAINTAINABILITY, CLARITY = "correctness", "maintainability", "clarity"
CATEGORIES = (CORRECTNESS, MAINTAINABILITY, CLARITY)


def _r(category: str, severity: Severity, confidence: Confidence = "high") -> RuleMeta:
    return RuleMeta(severity, confidence, category)


PYLINT_BUGS = (
    "PLW0120",  # else on a loop without break
    "PLW0127",  # self-assignment
    "PLW0128",  # redeclared variable in one assignment
    "PLW0129",  # assert on a string literal
    "PLW0131",  # named expression without context
    "PLW0406",  # module imports itself
    "PLW0642",  # assignment to self or cls
    "PLW0711",  # `except A or B`
    "PLW1501",  # bad open() mode
    "PLW1507",  # shallow copy of os.environ
    "PLW1508",  # invalid default of os.getenv
    "PLW2101",  # useless with-lock
    "PLW3301",  # nested min/max
    "PLR0124",  # comparison with itself
    "PLR0133",  # comparison of constants
    "PLR1704",  # argument redefined by a local
)
RUF_BUGS = (
    "RUF006",  # asyncio task dropped: may be collected while it runs
    "RUF008",  # mutable default in a dataclass
    "RUF009",  # call in a dataclass default: evaluated once
    "RUF016",  # invalid index type
    "RUF018",  # assignment in assert: gone under -O
    "RUF024",  # dict.fromkeys with a mutable value shared by every key
    "RUF026",  # defaultdict(default_factory=...) sets a key, not the factory
    "RUF030",  # print() as an assert message
    "RUF034",  # if-else with identical arms
)
MAINTAINABILITY_RULES = ("C901", "PLR0911", "PLR0913", "PLR0915")
CLARITY_RULES = (
    "SIM102", "SIM103", "SIM110", "SIM118", "SIM201", "SIM202", "SIM208", "SIM210",
    "SIM211", "SIM212", "SIM220", "SIM221", "SIM222", "SIM223", "SIM300",
    "RET501", "RET502",
    "UP004", "UP008", "UP018", "UP034", "UP039",
)  # fmt: skip
NOISY = ("B008", "B009", "B010", "B017", "B024", "B027", "B028", "B904", "B905", "B911")
MEASURED_NOISY = (
    "B006",  # 0/3: {} defaults copied or only read; bug-predict's ATNB001 flags mutated ones
    "B015",  # 1/3: mostly `x in y` evaluated inside assertRaises on purpose
    "B018",  # 0/3: attribute reads for their side effect (settings.INSTALLED_APPS raises)
    "B019",  # 1/3: caches on long-lived registries, cleared by hand
    "B023",  # 0/3: closures called within their own iteration
    "PLE2502",  # 0/3: right-to-left marks in locale format strings, not obfuscation
)
"""Default-profile rules at precision <= 1/3 over >= 3 hand labels on Django 6.1.3. F821
measured 0/3 too and stays: all of Django's are `frozendict` behind Python 3.15 guards, a
builtin `--isolated` ruff (targeting 3.10) does not know, while an undefined name is
otherwise a NameError waiting to happen."""

RATING: dict[str, RuleMeta] = {
    # correctness
    RuleSet.SYNTAX: _r(CORRECTNESS, "high"),  # the file does not parse
    "F": _r(CORRECTNESS, "medium"),
    "F82": _r(CORRECTNESS, "high"),  # undefined names: NameError at run time
    "F63": _r(CORRECTNESS, "high"),  # `is` with a literal, always-true asserts, ...
    "F7": _r(CORRECTNESS, "high"),  # break/continue/return/yield where they cannot be
    "F811": _r(CORRECTNESS, "low"),  # redefinition of an unused name
    "F401": _r(MAINTAINABILITY, "low"),  # unused import
    "F841": _r(MAINTAINABILITY, "low"),  # unused local variable
    "F403": _r(CLARITY, "low"),  # star import
    "F405": _r(CLARITY, "low", "medium"),  # name may come from a star import
    "F541": _r(CLARITY, "info"),  # f-string without placeholders
    "B": _r(CORRECTNESS, "medium"),
    "B006": _r(CORRECTNESS, "medium"),  # mutable default argument
    "B007": _r(CLARITY, "info"),  # unused loop variable
    "B023": _r(CORRECTNESS, "low", "medium"),  # harmless when called in the same iteration
    "B011": _r(CORRECTNESS, "medium"),  # assert False: gone under -O
    "B018": _r(CORRECTNESS, "low", "medium"),  # useless expression
    "B019": _r(MAINTAINABILITY, "low", "medium"),  # lru_cache on a method leaks self
    "PLE": _r(CORRECTNESS, "high"),
    # the curated bug rules; the rest of PL and RUF (strict only) rate as the fallback
    **{code: _r(CORRECTNESS, "medium") for code in (*PYLINT_BUGS, *RUF_BUGS)},
    "PLR1704": _r(CORRECTNESS, "low"),
    "PLW0406": _r(CORRECTNESS, "low"),  # often a module's own `__main__` demo
    "PLW3301": _r(CLARITY, "info"),
    "RUF030": _r(CORRECTNESS, "low"),
    "RUF034": _r(CLARITY, "low"),
    # maintainability
    "C90": _r(MAINTAINABILITY, "low"),
    "PLR09": _r(MAINTAINABILITY, "low"),
    # clarity
    "SIM": _r(CLARITY, "info"),
    "SIM22": _r(CORRECTNESS, "medium"),  # `a and not a`: always one value
    "RET": _r(CLARITY, "info"),
    "UP": _r(CLARITY, "info"),
}

RULES = RuleSet(
    select=("F", "B", "PLE", *PYLINT_BUGS, *RUF_BUGS, *MAINTAINABILITY_RULES, *CLARITY_RULES),
    ignore=(*NOISY, *MEASURED_NOISY),
    strict=("F", "B", "PL", "RUF", "C90", "SIM", "RET", "UP"),
    meta=RATING,
    fallback=_r(CLARITY, "info", "medium"),
    settings=(
        "lint.mccabe.max-complexity=15",
        "lint.pylint.max-returns=8",
        "lint.pylint.max-args=10",
        "lint.pylint.max-statements=60",
    ),
    syntax_errors=True,
)
