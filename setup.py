"""Package layout (the rest of the metadata is pyproject.toml's).

`src/frontwatch` and `api` are the code; the bundled data in `data/geo` (gazetteer,
illustrative demo) ships inside the package as `frontwatch.geodata`, so an installed wheel
finds it with importlib instead of walking up from a source file.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages("src", include=["frontwatch*"]), "frontwatch.geodata",
              *find_packages(".", include=["api*"])],
    package_dir={"": "src", "frontwatch.geodata": "data/geo", "api": "api"},
    package_data={"frontwatch": ["store/migrations/*.sql", "py.typed"],
                  "frontwatch.geodata": ["*.csv", "*.geojson", "README.md"]},
)
