"""Package layout and the build step for map assets (the rest of the metadata is
pyproject.toml's).

`src/frontwatch` is the code; the HTTP layer lives in `api/` (the layout's place for it) and
ships as `frontwatch.api` through the symlink `src/frontwatch/api`, so nothing named plain
`api` is installed into site-packages; the bundled data in `data/geo` (gazetteer,
illustrative demo) is package data, `frontwatch/geodata` (the symlink `src/frontwatch/geodata`),
found the same way in a checkout and in an installed wheel; the scripts that rebuild it stay
in the repository.

Building (also an editable install) runs `npm ci` when node_modules lacks them, and a
regular build copies the npm packages of package.json (Leaflet and its plugin, installed by
`npm ci` at the versions package-lock.json pins and checks) into
`frontwatch/render/npm`, so `pip install` brings the map scripts and the server needs no
CDN and no node_modules. Without npm and node_modules the build goes on without them and
says so (pages then need FRONTWATCH_ASSETS=cdn or FRONTWATCH_NODE_MODULES).
"""

import json
import shutil
import subprocess
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = {".js", ".css", ".png", ".svg"}  # what pages load; no sources, maps or docs


def _deps() -> list[str]:
    return list(json.loads((ROOT / "package.json").read_text())["dependencies"])


class BuildWithAssets(build_py):
    def find_package_modules(self, package: str, package_dir: str) -> list:
        if package == "frontwatch.geodata":  # data only: build_*.py rebuild it from sources
            return []
        return super().find_package_modules(package, package_dir)

    def run(self) -> None:
        super().run()
        if not self.ensure_node_modules():
            return
        if not self.editable_mode:  # an editable install serves the repository's node_modules
            self.copy_map_assets(Path(self.build_lib) / "frontwatch" / "render" / "npm")

    def ensure_node_modules(self) -> bool:
        """node_modules holds package.json's packages (installed with `npm ci` if not), so
        `pip install -e .` in a fresh clone serves map pages too."""
        modules = ROOT / "node_modules"
        if all((modules / d / "package.json").is_file() for d in _deps()):
            return True
        if shutil.which("npm") is None:
            self.warn("map assets not installed: no node_modules and no npm (map pages then "
                      "need FRONTWATCH_ASSETS=cdn or FRONTWATCH_NODE_MODULES)")
            return False
        subprocess.run(["npm", "ci", "--omit=dev", "--no-audit", "--no-fund"], cwd=ROOT,
                       check=True)
        return True

    def copy_map_assets(self, target: Path) -> None:
        modules = ROOT / "node_modules"
        for dep in _deps():
            src = modules / dep
            for path in sorted(src.rglob("*")):
                rel = path.relative_to(src)
                in_dist = not (src / "dist").is_dir() or rel.parts[0] == "dist"
                keep = path.suffix in SHIPPED and "-src" not in path.name and in_dist
                if path.is_file() and (keep or path.name == "LICENSE"):
                    out = target / dep / rel
                    out.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, out)


setup(
    packages=[*find_packages("src", include=["frontwatch*"]), "frontwatch.geodata"],
    package_dir={"": "src"},
    package_data={"frontwatch": ["store/migrations/*.sql", "py.typed"],
                  "frontwatch.geodata": ["*.csv", "*.geojson", "README.md"]},
    cmdclass={"build_py": BuildWithAssets},
)
