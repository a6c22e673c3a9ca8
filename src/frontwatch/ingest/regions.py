"""Administrative boundaries → regions, plus the groups derived from them.

Raions also yield their oblast (the union of its raions) and hromadas their raion's code as
parent, so a user can ask for "Donetsk Oblast" whichever level they imported. After every
import the named groups (`donbas`, `theatre`) are rebuilt from what the store holds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import shapely

from frontwatch import geometry, oblasts
from frontwatch.errors import InputError, echo
from frontwatch.ingest.hooks import SNAPSHOT_HOOKS
from frontwatch.ingest.limits import Limits
from frontwatch.ingest.reader import read_bytes, read_vector
from frontwatch.ingest.vector import check_field
from frontwatch.model import Region
from frontwatch.store.base import SqlStore
from frontwatch.text import romanize, slugify

LEVELS = ("country", "oblast", "raion", "hromada")
_ADMIN_LEVELS = {"2": "country", "4": "oblast", "6": "raion", "7": "hromada",
                 "8": "settlement", "9": "settlement", "10": "settlement"}
# Holes smaller than this inside the theatre are enclaves of the outline (Kyiv city), not
# foreign ground.
_ENCLAVE_KM2 = 2000.0


def region_hash(region: Region) -> str:
    h = hashlib.sha256()
    for part in (region.level, region.name_en, region.name_uk, region.code or "",
                 region.parent or ""):
        h.update(part.encode() + b"\x00")
    h.update(shapely.to_wkb(region.geometry))
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class RegionFields:
    """Which properties hold a region's names and code, when not the conventions Frontwatch
    recognises (OSM's name:en/name:uk/katotth; OCHA COD-AB's admN_en/admN_ua/admN_pcode)."""

    name: str | None = None  # English (or the only) name
    name_uk: str | None = None
    code: str | None = None


# OCHA COD-AB: admN_pcode at levels 0 (country) … 3 (hromada); level 4 is settlements.
_COD_LEVELS = {0: "country", 1: "oblast", 2: "raion", 3: "hromada"}
_COD_PCODE = re.compile(r"adm([0-4])_pcode")


def cod_level(columns: list[str]) -> int | None:
    """The COD-AB admin level of a table: the deepest N with an ``admN_pcode`` column
    (case-insensitive), None when it follows another convention."""
    levels = [int(m.group(1)) for c in columns if (m := _COD_PCODE.fullmatch(str(c).lower()))]
    return max(levels) if levels else None


def read_regions(path: Path, level: str | None, valid_from: date | None = None,
                 fields: RegionFields | None = None) -> list[Region]:
    """Regions from any vector file: OSM boundaries (name:en/uk, katotth, admin_level), OCHA
    COD-AB (admN_en/ua/pcode; the level is the deepest admN present) or any table whose
    name and code fields are given. `level` None: inferred from the file, refused when it
    cannot be."""
    if level is not None and level not in LEVELS:
        raise InputError(f"unknown level {echo(level)}; choose one of {', '.join(LEVELS)}")
    # Boundary files come from the operator and are large by nature (every hromada of a
    # country): held to the size limit, not to the per-snapshot feature and vertex limits.
    limits = dataclasses.replace(Limits.from_settings(), features=None, vertices=None)
    df = read_vector(read_bytes(path, limits), str(path), limits)
    columns = [str(c) for c in df.columns if c != "geometry"]
    fields = fields or RegionFields()
    for given in (fields.name, fields.name_uk, fields.code):
        check_field(given, columns, str(path))
    level, fields = _conventions(columns, level, fields, str(path))
    if level is None:
        admin = str(df["admin_level"].iloc[0]) if "admin_level" in df.columns and len(df) \
            else ""
        level = _ADMIN_LEVELS.get(admin)
        if level not in LEVELS:
            raise InputError("cannot tell the boundaries' level (no admin_level or COD-AB "
                             f"admN_pcode field): pass --level {' | '.join(LEVELS)}",
                             origin=str(path))
    out = []
    geoms = df.geometry.values
    records = df.drop(columns="geometry").to_dict("records")
    for i, (props, raw) in enumerate(zip(records, geoms)):
        if raw is None:
            continue
        geom, _ = geometry.repair(raw)
        if geom.is_empty:
            continue
        admin = str(props.get("admin_level") or "")
        actual = _ADMIN_LEVELS.get(admin)
        if actual and actual != level:
            hint = (f"pass --level {actual}" if actual in LEVELS else
                    f"levels are {', '.join(LEVELS)}")
            raise InputError(f"feature {i} is admin_level {admin} ({actual}), not {level}: "
                             + hint, origin=str(path))
        if geometry.looks_swapped(geom.bounds):
            raise InputError("coordinates appear to be in lat/lon order; expected lon/lat",
                             origin=str(path))
        out.append(_region(props, geom, level, valid_from, f"{path} (feature {i})", fields))
    if not out:
        raise InputError("no polygon features", origin=str(path))
    return out


def _conventions(columns: list[str], level: str | None, fields: RegionFields, origin: str
                 ) -> tuple[str | None, RegionFields]:
    """The level and name/code fields a COD-AB table implies (explicit fields win)."""
    n = cod_level(columns)
    if n is None:
        return level, fields
    actual = _COD_LEVELS.get(n)
    if actual is None:
        raise InputError(f"COD-AB level adm{n} is settlements, not regions: import adm0-adm3 "
                         "(country, oblast, raion, hromada)", origin=origin)
    if level is not None and level != actual:
        raise InputError(f"the file is COD-AB adm{n} ({actual}), not {level}: pass --level "
                         f"{actual}", origin=origin)
    lower = {c.lower(): c for c in columns}

    def pick(*names: str) -> str | None:
        return next((lower[k] for k in names if k in lower), None)

    return actual, RegionFields(
        name=fields.name or pick(f"adm{n}_en", f"adm{n}_name"),
        name_uk=fields.name_uk or pick(f"adm{n}_ua", f"adm{n}_uk", f"adm{n}_name1"),
        code=fields.code or pick(f"adm{n}_pcode"))


def _get(props: dict, *keys: str) -> str | None:
    for k in keys:
        for variant in (k, k.replace(":", "_")):
            v = props.get(variant)
            if isinstance(v, str) and v.strip():
                return v.strip()
    return None


def _region(props: dict, geom, level: str, valid_from: date | None, origin: str,
            fields: RegionFields) -> Region:
    code = _get(props, fields.code) if fields.code else _get(props, "katotth", "katottg",
                                                              "code")
    iso = _get(props, "iso3166-2", "ISO3166-2")
    known = oblasts.BY_ISO.get(iso or "") if level == "oblast" else None
    if known is None and level == "oblast" and code:
        known = oblasts.BY_KATOTTG.get(code[:4])
    name_uk = _get(props, fields.name_uk) if fields.name_uk else _get(props, "name:uk",
                                                                      "name_uk", "name")
    name_en = _get(props, fields.name) if fields.name else _get(props, "name:en", "name_en")
    if known:
        name_en, name_uk, code = known.name_en, known.name_uk, code or known.katottg
    if not name_uk and not name_en:
        used = [f for f in (fields.name, fields.name_uk) if f] or ["name", "name:uk",
                                                                   "name:en"]
        raise InputError(f"feature has no name ({', '.join(used)}); choose the fields with "
                         "--name-field / --name-uk-field", origin=origin)
    name_uk = name_uk or name_en or ""
    if not name_en:
        name_en = romanize(name_uk).replace(" район", " Raion").replace(" громада", " Hromada")
    slug = known.slug if known else slugify(name_uk if level in ("raion", "hromada")
                                            else name_en)
    parent = None
    if code and level in ("raion", "hromada"):
        parent = code[:4] if level == "raion" else code[:6]
    return Region(slug=slug, level=level, name_en=name_en, name_uk=name_uk, geometry=geom,
                  code=code, parent=parent, valid_from=valid_from,
                  area_km2=float(geometry.area_km2(geom)))


def derived_oblasts(raions: list[Region]) -> list[Region]:
    """Each oblast as the union of its raions (grouped by KATOTTG prefix)."""
    groups: dict[str, list[Region]] = defaultdict(list)
    for r in raions:
        if r.code and r.code[:4] in oblasts.BY_KATOTTG:
            groups[r.code[:4]].append(r)
    out = []
    for prefix, members in groups.items():
        ob = oblasts.BY_KATOTTG[prefix]
        geom = geometry.union(m.geometry for m in members)
        out.append(Region(slug=ob.slug, level="oblast", name_en=ob.name_en, name_uk=ob.name_uk,
                          geometry=geom, code=prefix, valid_from=members[0].valid_from,
                          area_km2=float(geometry.area_km2(geom))))
    return out


def import_regions(store: SqlStore, paths: Path | Iterable[Path], level: str | None,
                   valid_from: date | None = None,
                   progress: Callable[[str, int, int | None], None] | None = None,
                   fields: RegionFields | None = None) -> dict[str, list[str]]:
    """Import boundary files and folders (walked like `frontwatch import`) in one
    transaction; returns slugs added and unchanged. `level` None: each file's own (COD-AB
    admN, OSM admin_level). `progress(table, done, total)` follows the precomputed tables
    it fills (see :mod:`frontwatch.ingest.hooks`)."""
    from frontwatch.ingest import iter_files, retire_demo

    files = iter_files([paths] if isinstance(paths, Path) else paths)
    if not files:
        raise InputError("no boundary files found (.geojson, .gpkg, .fgb, .zip …)")
    regions = [r for f in files for r in read_regions(f, level, valid_from, fields)]
    taken = {r.slug: r.code for r in store.regions(include_illustrative=False)}
    regions = [_unique_slug(r, taken) for r in regions]
    # Parent codes → slugs, once their oblasts/raions are known.
    by_code = {r.code[:6] if r.level == "raion" else r.code[:4]: r.slug
               for r in regions + store.regions() if r.code}
    for ob in oblasts.OBLASTS:
        by_code.setdefault(ob.katottg, ob.slug)
    regions = [_with_parent(r, by_code) for r in regions]
    raions = [r for r in regions if r.level == "raion"]
    if raions and not any(r.level == "oblast" for r in regions):
        regions += derived_oblasts(raions)
    result: dict[str, list[str]] = {"added": [], "unchanged": []}

    with store.transaction():
        retire_demo(store)
        for r in regions:
            added = store.add_region(r, region_hash(r))
            result["added" if added else "unchanged"].append(r.slug)
        rebuild_groups(store, valid_from)
        SNAPSHOT_HOOKS.regions_added(store, progress)
    return result


def _unique_slug(r: Region, taken: dict[str, str | None]) -> Region:
    """Hromada names repeat across Ukraine: disambiguate a clash with the KATOTTG code."""
    slug = r.slug
    if slug in taken and taken[slug] != r.code:
        slug = f"{slug}-{(r.code or '').lower()}"
        if slug in taken and taken[slug] != r.code:
            raise InputError(f"two different regions are both named {r.name_en!r}")
    taken[slug] = r.code
    return dataclasses.replace(r, slug=slug)


def _with_parent(r: Region, by_code: dict[str, str]) -> Region:
    if not r.parent:
        return r
    parent = by_code.get(r.parent)
    return dataclasses.replace(r, parent=parent)


def rebuild_groups(store: SqlStore, valid_from: date | None = None) -> None:
    """Recompute `donbas` and `theatre` from the oblasts (or country) now in the store."""
    current = {r.slug: r for r in store.regions(with_geometry=True)
               if r.level in ("oblast", "country")}
    for slug, (name_en, name_uk, members) in oblasts.GROUPS.items():
        if all(m in current for m in members):
            geom = geometry.union(current[m].geometry for m in members)
            _store_group(store, slug, name_en, name_uk, geom, valid_from)
    country = [r for r in current.values() if r.level == "country"]
    if country:
        geom = country[0].geometry
    else:
        obl = [r.geometry for r in current.values() if r.level == "oblast"]
        if not obl:
            return
        geom = geometry.union(obl)
    geom = _fill_enclaves(geom)
    _store_group(store, oblasts.THEATRE, "Ukraine (theatre)", "Україна", geom, valid_from)


def _store_group(store: SqlStore, slug: str, en: str, uk: str, geom, valid_from) -> None:
    r = Region(slug=slug, level="group", name_en=en, name_uk=uk, geometry=geom,
               valid_from=valid_from, area_km2=float(geometry.area_km2(geom)))
    store.add_region(r, region_hash(r))


def _fill_enclaves(geom) -> shapely.MultiPolygon:
    parts = []
    for poly in geometry.polygons_of(geom):
        keep = [ring for ring in poly.interiors
                if geometry.area_km2(shapely.Polygon(ring)) >= _ENCLAVE_KM2]
        parts.append(shapely.Polygon(poly.exterior, keep))
    return geometry.polygonal(shapely.MultiPolygon(parts))
