"""The import graph of stilts_nb, from every module's imports (top level and inside functions
alike, since a lazy import only hides a knot): no cycle, and no module reaching up the pipeline
(tasks -> synthesis -> training -> sweeps -> analysis -> plots -> reporting, then the commands
that put them together); no package face that imports on attribute access, where the graph
cannot see; and `stilts-nb --help` loading neither torch nor pandas."""
import ast
import os
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "stilts_nb"

# The folders in the order each may build on the ones before it. A top-level module (errors,
# settings, hardware, wording, ...) is the foundation: every folder may import it, and it imports
# no folder. cli.py belongs with commands/, the sub-commands it puts together.
LAYERS = ("tasks", "synthesis", "training", "sweeps", "analysis", "plots", "reporting", "commands")
FOUNDATION = "foundation"


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: Path = PACKAGE) -> dict:
    modules = {module_name(p, package): p for p in package.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                # `from pkg import mod` depends on pkg.mod; `from mod import name` on mod
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            else:
                continue
            edges.update(t for t in targets if t in modules and t != name)
        graph[name] = edges
    return graph


def find_cycle(graph: dict):
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def layer(module: str) -> str:
    """'stilts_nb.plots.violins' -> 'plots'; a top-level module -> FOUNDATION; cli -> commands."""
    parts = module.split(".")
    folder = "commands" if parts[1:2] == ["cli"] else parts[1] if len(parts) > 1 else ""
    return folder if folder in LAYERS else FOUNDATION


def rank(module: str) -> int:
    return 1 + LAYERS.index(layer(module)) if layer(module) in LAYERS else 0


def layer_violations(graph: dict) -> list:
    """'A imports B (reporting comes after plots)' for every import that reaches a later layer."""
    return [f"{module} imports {target} ({layer(target)} comes after {layer(module)})"
            for module in sorted(graph) for target in sorted(graph[module]) if rank(target) > rank(module)]


def lazy_faces(package: Path = PACKAGE) -> list:
    """Modules that define a module-level __getattr__: names imported on first use, an import no
    reader (and no import graph) sees at the top of the file."""
    return sorted(module_name(p, package) for p in package.rglob("*.py")
                  if any(isinstance(node, ast.FunctionDef) and node.name == "__getattr__"
                         for node in ast.parse(p.read_text(), str(p)).body))


def test_the_graph_sees_imports():
    graph = import_graph()
    assert "stilts_nb.training.evaluate" in graph["stilts_nb.training.loop"]
    assert "stilts_nb.training.device" in graph["stilts_nb.training.score_untrained"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle)


def test_no_module_imports_from_a_later_layer():
    violations = layer_violations(import_graph())
    assert not violations, "\n".join(violations)


def test_no_package_face_imports_on_attribute_access():
    assert lazy_faces() == []


def write_package(root: Path, files: dict) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root / "stilts_nb"


def test_a_module_reaching_up_or_a_lazy_face_is_named(tmp_path):
    """The checks on a package made to break them: plots importing reporting inside a function
    (as plots/violins.py once did), a foundation module importing a folder, a __getattr__ face."""
    package = write_package(tmp_path, {
        "stilts_nb/__init__.py": "", "stilts_nb/wording.py": "",
        "stilts_nb/errors.py": "def f():\n    from .training import loop\n",
        "stilts_nb/training/__init__.py": "", "stilts_nb/training/loop.py": "from ..wording import *\n",
        "stilts_nb/plots/__init__.py": "",
        "stilts_nb/plots/violins.py": "def tick():\n    from ..reporting.paper import stand_in_for\n",
        "stilts_nb/reporting/__init__.py": "", "stilts_nb/reporting/paper.py": "from ..plots import violins\n",
        "stilts_nb/sweeps/__init__.py": "def __getattr__(name):\n    return name\n",
        "stilts_nb/cli.py": "from .reporting import paper\n"})
    assert layer_violations(import_graph(package)) == [
        "stilts_nb.errors imports stilts_nb.training.loop (training comes after foundation)",
        "stilts_nb.plots.violins imports stilts_nb.reporting.paper (reporting comes after plots)"]
    assert lazy_faces(package) == ["stilts_nb.sweeps"]


def test_help_loads_neither_torch_nor_pandas():
    """`stilts-nb --help` answers without the heavy libraries: each command imports its stage
    when it runs (commands/), and every package face imports what it names, plainly."""
    env = {**os.environ, "PYTHONPATH": str(PACKAGE.parent)}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "stilts_nb.cli", "--help"],
                          capture_output=True, text=True, env=env, cwd=PACKAGE.parent)
    assert proc.returncode == 0 and "stilts-nb" in proc.stdout
    loaded = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in proc.stderr.splitlines()
              if line.startswith("import time:")}
    assert "stilts_nb" in loaded and not loaded & {"torch", "pandas"}, sorted(loaded & {"torch", "pandas"})
