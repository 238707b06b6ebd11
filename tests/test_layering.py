"""The house rules, checked: imports point one way (lazy imports included), no import cycle between modules,
each foreign library in its own rooms, small files and functions."""
import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "quantlogic"
# a module may import only from a lower rank, or from its own folder; the root-level base modules (errors,
# names, verdict, arrays, pyeda_bridge) are rank 0 and import only each other
RANKS = {"__main__": 11, "cli": 10, "cli_options": 9.5, "testing": 10, "app": 9, "report": 8, "verify": 8, "passes": 7, "prove": 6, "formats": 5,
         "lower": 4, "train": 3.5, "quant": 3, "model": 2, "kernels": 1, "ir": 1}
FOREIGN = {"torch": ("model", "train"), "numba": ("kernels",), "pyeda": ("pyeda_bridge",), "matplotlib": ("report",),
           "distributed": ("workers",), "dask": ("workers",)}
MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 100


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        yield ".".join(p for p in parts if p != "__init__"), path


def stage(name):
    """The folder (or top module) of a quantlogic module name relative to the package."""
    return name.split(".")[0] if name else ""


def rank(name):
    return RANKS.get(stage(name), 0)


def imports(name, path):
    """(imported module relative to the package, or a foreign top-level package, line) of every import."""
    is_package = path.name == "__init__.py"
    here = name.split(".") if is_package else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)] if node.level > 1 else here
                target = ".".join(base + ([node.module] if node.module else []))
                for t in [f"{target}.{a.name}".strip(".") for a in node.names]:
                    yield "quantlogic", _as_module(t), node.lineno
            else:
                yield "foreign", node.module.split(".")[0], node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top == "quantlogic":
                    yield "quantlogic", _as_module(alias.name.removeprefix("quantlogic").strip(".")), node.lineno
                else:
                    yield "foreign", top, node.lineno


def _as_module(dotted):
    """The module a dotted name inside the package refers to (a name imported from a module is dropped)."""
    parts = dotted.split(".") if dotted else []
    while parts:
        path = PACKAGE.joinpath(*parts)
        if path.with_suffix(".py").exists() or (path / "__init__.py").exists():
            return ".".join(parts)
        parts = parts[:-1]
    return ""


ALL = dict(modules())


def test_imports_point_down():
    wrong = []
    for name, path in ALL.items():
        for kind, target, line in imports(name, path):
            if kind != "quantlogic" or not target or stage(target) == stage(name):
                continue
            if rank(target) >= rank(name) and rank(name) > 0:
                wrong.append(f"{path.relative_to(PACKAGE)}:{line} imports {target}")
    assert not wrong, "imports that point up or sideways:\n" + "\n".join(wrong)


def test_no_import_cycles_between_modules():
    graph = {name: {t for kind, t, _ in imports(name, path) if kind == "quantlogic" and t and t != name}
             for name, path in ALL.items()}
    graph = {name: {t for t in targets if t in graph and not (name.startswith(t + ".") or t == "")}
             for name, targets in graph.items()}
    state, cycles = {}, []

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(trail[trail.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


@pytest.mark.parametrize("library", sorted(FOREIGN))
def test_foreign_libraries_stay_in_their_rooms(library):
    allowed = FOREIGN[library]
    wrong = [f"{path.relative_to(PACKAGE)}:{line}" for name, path in ALL.items()
             for kind, target, line in imports(name, path)
             if kind == "foreign" and target == library and stage(name) not in allowed]
    assert not wrong, f"{library} imported outside {', '.join(allowed)}: " + ", ".join(wrong)


def test_small_files_and_functions():
    long = []
    for name, path in ALL.items():
        text = path.read_text()
        if len(text.splitlines()) > MAX_FILE_LINES:
            long.append(f"{path.relative_to(PACKAGE)}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(PACKAGE)}: {node.name} is {length} lines")
    assert not long, "\n".join(long)


def test_the_checker_sees_a_planted_violation(tmp_path, monkeypatch):
    """The rules above can fail: an upward import and a cycle planted in a copy are reported."""
    kernel = tmp_path / "kernels"
    kernel.mkdir()
    (kernel / "__init__.py").write_text("")
    (kernel / "a.py").write_text("from ..app import convert\nfrom . import b\n")
    (kernel / "b.py").write_text("from . import a\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "convert.py").write_text("")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", tmp_path)
    monkeypatch.setattr(__import__(__name__), "ALL", dict(modules()))
    with pytest.raises(AssertionError, match="kernels/a.py:1 imports app.convert"):
        test_imports_point_down()
    with pytest.raises(AssertionError, match="kernels.a -> kernels.b -> kernels.a"):
        test_no_import_cycles_between_modules()
