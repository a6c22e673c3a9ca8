"""The package's import graph: the HTTP layer ships inside the `frontwatch` namespace (nothing
named plain `api` is imported or installed), and the domain never imports the web layer."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [p for top in ("src/frontwatch", "api", "tests", "bench")
           for p in (ROOT / top).rglob("*.py")
           if "src/frontwatch/api" not in p.as_posix()]  # the symlink to api/: read once
# The one domain module allowed to import the web layer: `frontwatch serve` starts it.
SERVES = {ROOT / "src/frontwatch/cli/serve.py"}


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return names


def test_the_sources_were_found():
    assert len(SOURCES) > 100 and any(p.parts[-2:] == ("api", "app.py") for p in SOURCES)


def test_nothing_imports_a_top_level_api_package():
    bad = [f"{p.relative_to(ROOT)}: {name}" for p in SOURCES for name in _imports(p)
           if name == "api" or name.startswith("api.")]
    assert not bad, bad


def test_the_domain_never_imports_the_web_layer():
    domain = [p for p in SOURCES if p.is_relative_to(ROOT / "src/frontwatch")]
    bad = [f"{p.relative_to(ROOT)}: {name}" for p in domain if p not in SERVES
           for name in _imports(p) if name.split(".")[:2] == ["frontwatch", "api"]
           or name.split(".")[0] in ("fastapi", "starlette", "uvicorn")]
    assert not bad, bad


def test_the_web_layer_is_the_frontwatch_api_package():
    import frontwatch.api.app as app_module

    assert Path(app_module.__file__).resolve() == ROOT / "api" / "app.py"
