"""The tests stay honest: every test file is read (its syntax tree, not run) and none may

- import another test module (`test_*.py` or a `conftest.py`): fixtures shared by several domains live in the
  plugin `linli.core.testing.plugin`, a domain's own in its `tests/conftest.py`, test data in `tests/factories*.py`;
- assert that a value is one of every possible answer: `x in (True, False)`, or a status in a tuple of statuses
  (`status_code in (404, 422)`), where exactly one is right;
- assert a constant (`assert True`, `assert ... or True`), or expect any error at all (`pytest.raises(Exception)`);
- compare a measured time (`assert time.monotonic() - started < 1.0`, a Hypothesis `deadline`): tests assert
  behaviour, and how long something takes is measured by the benchmarks in bench/ (DESIGN.md), where a slow
  machine is not a failure.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import linli

PACKAGE = Path(linli.__file__).resolve().parent
SRC = PACKAGE.parent


def hygiene_files() -> list[Path]:
    """Every Python file of the tests: the `tests` packages, the conftests and the test plugin in core."""
    files = {p for p in PACKAGE.rglob("*.py") if "tests" in p.relative_to(PACKAGE).parts[:-1]}
    files |= set(PACKAGE.rglob("conftest.py"))
    files |= set((PACKAGE / "core" / "testing").glob("*.py"))
    return sorted(files)


def is_test_module(name: str) -> bool:
    """`name` (dotted) names a test module or a conftest, which no other file may import."""
    last = name.rsplit(".", 1)[-1]
    return last.startswith("test_") or last == "conftest"


def imported_modules(path: Path, tree: ast.Module) -> Iterator[tuple[int, str]]:
    package = ".".join(path.relative_to(SRC).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            yield node.lineno, base
            for alias in node.names:  # `from linli.x.tests import test_y`
                yield node.lineno, f"{base}.{alias.name}"


def _status_like(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and 100 <= node.value <= 599


def _bool(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is bool


def cannot_fail(test: ast.expr) -> str | None:
    """Why the asserted expression holds whatever the code does (or does not pin the answer down), or None."""
    if isinstance(test, ast.Constant) and test.value:
        return "asserts a constant"
    if isinstance(test, ast.BoolOp):
        if isinstance(test.op, ast.Or) and any(isinstance(v, ast.Constant) and v.value for v in test.values):
            return "`or` a true constant"
        for value in test.values:
            if reason := cannot_fail(value):
                return reason
        return None
    if isinstance(test, ast.Compare):
        for op, right in zip(test.ops, test.comparators, strict=True):
            if not isinstance(op, ast.In) or not isinstance(right, ast.Tuple | ast.List | ast.Set):
                continue
            elts = right.elts
            if len(elts) >= 2 and all(_bool(e) for e in elts):
                return "`in (True, False)`: every boolean passes"
            if len(elts) >= 2 and all(_status_like(e) for e in elts):
                return "a status in a tuple of statuses: one of them is the right answer"
    return None


def _raises_anything(node: ast.AST) -> bool:
    """`pytest.raises(Exception)`: any error at all passes, the one the test means or another."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "raises"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "pytest"
        and bool(node.args)
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id in {"Exception", "BaseException"}
    )


def _sets_a_deadline(node: ast.AST) -> bool:
    """`@settings(deadline=200)`: Hypothesis fails an example that takes longer (the plugin turns deadlines off)."""
    return isinstance(node, ast.Call) and any(
        k.arg == "deadline" and not (isinstance(k.value, ast.Constant) and k.value.value is None) for k in node.keywords
    )


CLOCKS = {"time", "monotonic", "perf_counter", "process_time", "time_ns", "monotonic_ns", "perf_counter_ns"}
ORDER = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def _reads_clock(node: ast.AST, clock_names: set[str]) -> bool:
    """`node` calls `time.monotonic()` and the like, or reads a name that holds such a reading."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id in clock_names:
            return True
        if isinstance(sub, ast.Call):
            func = sub.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                if func.value.id == "time" and func.attr in CLOCKS:
                    return True
            elif isinstance(func, ast.Name) and func.id in CLOCKS - {"time"}:
                return True
    return False


def wall_clock_asserts(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[int]:
    """Lines of `function` that compare a measured time (`assert time.monotonic() - started < 1.0`)."""
    clock_names: set[str] = set()
    assignments = [n for n in ast.walk(function) if isinstance(n, ast.Assign | ast.AnnAssign | ast.AugAssign)]
    grew = True
    while grew:
        grew = False
        for node in assignments:
            if node.value is None or not _reads_clock(node.value, clock_names):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for name in (t.id for target in targets for t in ast.walk(target) if isinstance(t, ast.Name)):
                if name not in clock_names:
                    clock_names.add(name)
                    grew = True
    for node in ast.walk(function):
        if not isinstance(node, ast.Assert):
            continue
        for compare in (c for c in ast.walk(node.test) if isinstance(c, ast.Compare)):
            if any(isinstance(op, ORDER) for op in compare.ops) and _reads_clock(compare, clock_names):
                yield node.lineno
                break


def problems_in(path: Path, tree: ast.Module) -> list[str]:
    """What is wrong with the test file at `path` whose syntax tree is `tree`, one line per problem."""
    where = path.relative_to(SRC)
    found = [
        f"{where}:{line}: imports the test module {name}"
        for line, name in imported_modules(path, tree)
        if name.startswith("linli.") and is_test_module(name)
    ]
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and (reason := cannot_fail(node.test)):
            found.append(f"{where}:{node.lineno}: an assertion that cannot fail ({reason})")
        if _sets_a_deadline(node):
            found.append(f"{where}:{node.lineno}: a wall-clock assertion (a Hypothesis deadline)")
        if _raises_anything(node):
            found.append(f"{where}:{node.lineno}: an assertion that cannot fail (`pytest.raises(Exception)`)")
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found += [
                f"{where}:{line}: a wall-clock assertion (tests assert behaviour; bench/ measures time)"
                for line in wall_clock_asserts(node)
            ]
    return sorted(set(found))


def test_the_scan_sees_the_tests() -> None:
    files = hygiene_files()
    names = {p.name for p in files}
    assert {"conftest.py", "plugin.py", "test_test_hygiene.py", "factories.py"} <= names
    assert len([p for p in files if p.name.startswith("test_")]) > 100


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from linli.cases.tests.test_browser_cases import shoot", "imports the test module"),
        ("from .test_series import make_series", "imports the test module"),
        ("from . import test_series", "imports the test module"),
        ("import linli.core.tests.conftest", "imports the test module"),
        ("from linli.places.tests.factories import build_map_data", None),
        ("assert body['open_now'] in (True, False)", "cannot fail"),
        ("assert resp.status_code in (404, 422)", "cannot fail"),
        ("assert resp.status_code in {302, 403, 404}", "cannot fail"),
        ("assert x and status in [400, 422]", "cannot fail"),
        ("assert True", "cannot fail"),
        ("assert done or True", "cannot fail"),
        ("assert resp.status_code == 404", None),
        ("assert body['hours_state'] in ('open', 'closed')", None),
        ("assert status in (OrderStatus.PLACED, OrderStatus.LOCKED)", None),
        ("with pytest.raises(Exception):\n    work()", "cannot fail"),
        ("with pytest.raises(Problem):\n    work()", None),
        ("@settings(max_examples=50, deadline=500)\ndef test_x():\n    pass", "Hypothesis deadline"),
        ("@settings(max_examples=50, deadline=None)\ndef test_x():\n    pass", None),
        (
            "def t():\n    started = time.monotonic()\n    work()\n    assert time.monotonic() - started < 1.0",
            "wall-clock",
        ),
        (
            "def t():\n    t0 = time.perf_counter()\n    took = time.perf_counter() - t0\n    assert took <= 0.5",
            "wall-clock",
        ),
        ("def t():\n    assert 0.2 < monotonic() - started", "wall-clock"),
        ("def t():\n    now = time.time()\n    assert check(token, now) == 'ok'", None),
        ("def t():\n    assert row.seen_at <= timezone.now()", None),
    ],
)
def test_the_scan_flags_what_it_should(source: str, expected: str | None) -> None:
    problems = problems_in(PACKAGE / "places" / "tests" / "test_example.py", ast.parse(source))
    if expected is None:
        assert problems == []
    else:
        assert len(problems) == 1 and expected in problems[0], problems


def problems_of_every_test_file() -> list[str]:
    return [
        problem
        for path in hygiene_files()
        for problem in problems_in(path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    ]


def test_no_test_module_imports_another() -> None:
    problems = [p for p in problems_of_every_test_file() if "imports the test module" in p]
    assert problems == [], "\n".join(problems)


def test_no_assertion_cannot_fail_or_measures_the_wall_clock() -> None:
    problems = [p for p in problems_of_every_test_file() if "imports the test module" not in p]
    assert problems == [], "\n".join(problems)
