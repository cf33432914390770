"""Build the RxNorm product and brand tables the package loads, from public value-set data.

Inputs: `rxnorm_drug_codes.csv` (rxcui, tty_if_stated, display, ingredients, source_file) and
`brand_names.csv` (brand, ingredient, source_file) of the consolidation in
`../shared/data/terminology` (its SOURCE.md says where every row comes from), and the
ingredients of `fhir_mappings/valuesets/medications.yaml`.

Every row whose ingredients include an ingredient of medications.yaml is kept, whatever its
term type (IN, PIN, BN, SCD, SBD, SCDC, SBDC, SCDF, SBDF, SCDG, SBDG, GPCK, BPCK ...), with all
of its ingredients: a combination product keeps the ones medications.yaml does not know too.
Ingredient spellings of the CSV are mapped to the catalog's names through the names and
synonyms of medications.yaml; a spelling that only contains a catalog name stops the build, so
that a new spelling is either declared a synonym or shown to be another ingredient. Brands
listed under `brands_not_matched` in medications.yaml are left out with their reason.

Output: `rxnorm_products.json` and `rxnorm_brands.json` under fhir_mappings/valuesets, one
row per line, sorted (codes numerically, brands case-insensitively), so the same inputs always
give the same bytes. Re-run after changing medications.yaml or the CSVs:

    .venv/bin/python scripts/build_drug_tables.py [--terminology DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from fhir_mappings.drugs import (
    BRAND_TABLE,
    PRODUCT_TABLE,
    build_catalog,
    name_rules,
    spellings,
)
from fhir_mappings.terminology import VALUESET_DIR, read_yaml

REPO = Path(__file__).resolve().parents[1]
DEFAULT_TERMINOLOGY = REPO.parent / "shared" / "data" / "terminology"
CODES_CSV = "rxnorm_drug_codes.csv"
BRANDS_CSV = "brand_names.csv"
REBUILD = ".venv/bin/python scripts/build_drug_tables.py --terminology ../shared/data/terminology"


class BuildError(Exception):
    """The inputs cannot be turned into tables (a message says which row and why)."""


class Spellings:
    """Maps the CSV's ingredient spellings to catalog names, and collects unknown ones."""

    def __init__(self, meds: dict[str, Any]) -> None:
        self.rules = name_rules(meds)
        self.by_spelling = spellings(meds, self.rules)
        self.catalog = frozenset(self.by_spelling.values())
        # Only to find spellings that merely contain a catalog name ("X zinc").
        self._names = build_catalog(meds, {"products": {}}, {"brands": {}})
        self.unmapped: dict[str, tuple[str, ...]] = {}

    def ingredients(self, field: str) -> list[str]:
        """The catalog names of a `;`-separated CSV ingredient field (unknown ones as written)."""
        return [self._one(part.strip()) for part in field.split(";") if part.strip()]

    def _one(self, spelling: str) -> str:
        known = self.by_spelling.get(self.rules.normalize(spelling))
        if known is not None:
            return known
        inside = self._names.ingredients_by_name(spelling)
        if inside:
            self.unmapped[spelling] = inside
        return spelling


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise BuildError(f"{path}: not found (give the folder with --terminology)")
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def product_rows(rows: Iterable[dict[str, str]], names: Spellings) -> dict[str, dict[str, Any]]:
    """RxCUI -> {tty (when stated), display, ingredients, source_file} for kept rows."""
    kept: dict[str, dict[str, Any]] = {}
    for row in rows:
        rxcui = row["rxcui"].strip()
        if not rxcui.isdigit():
            raise BuildError(f"{CODES_CSV}: rxcui {rxcui!r} is not an RxCUI")
        if rxcui in kept:
            raise BuildError(f"{CODES_CSV}: rxcui {rxcui} is listed twice")
        ingredients = names.ingredients(row["ingredients"])
        if not names.catalog.intersection(ingredients):
            continue
        entry: dict[str, Any] = {"tty": row["tty_if_stated"].strip()} if row["tty_if_stated"].strip() else {}
        entry |= {"display": row["display"], "ingredients": ingredients, "source_file": row["source_file"]}
        kept[rxcui] = entry
    return dict(sorted(kept.items(), key=lambda item: int(item[0])))


def brand_rows(rows: Iterable[dict[str, str]], names: Spellings, not_matched: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Brand -> {ingredients, source_file} for kept brands, without `not_matched`."""
    kept: dict[str, dict[str, Any]] = {}
    for row in rows:
        brand = row["brand"].strip()
        if brand in kept:
            raise BuildError(f"{BRANDS_CSV}: brand {brand!r} is listed twice")
        ingredients = names.ingredients(row["ingredient"])
        if brand in not_matched or not names.catalog.intersection(ingredients):
            continue
        kept[brand] = {"ingredients": ingredients, "source_file": row["source_file"]}
    return dict(sorted(kept.items(), key=lambda item: (item[0].casefold(), item[0])))


def _about(description: str, inputs: dict[str, Path], read: int, kept: int, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description,
        "generated_by": "scripts/build_drug_tables.py (do not edit this file by hand)",
        "rebuild": REBUILD,
        "inputs": {name: {"sha256": _sha256(path)} for name, path in inputs.items()},
        "rows_read": read,
        "rows_kept": kept,
        **extra,
    }


def render(about: dict[str, Any], key: str, rows: dict[str, dict[str, Any]]) -> bytes:
    """The table as JSON: the header indented, then one row per line (readable diffs)."""
    header = orjson.dumps(about, option=orjson.OPT_INDENT_2).decode()
    body = ",\n".join(f"{orjson.dumps(k).decode()}: {orjson.dumps(v).decode()}" for k, v in rows.items())
    return f'{{\n"about": {header},\n"{key}": {{\n{body}\n}}\n}}\n'.encode()


def build(terminology: Path, out: Path) -> list[Path]:
    """Write both tables into `out`; return their paths.

    :raise BuildError: an input is missing or malformed, or a spelling is ambiguous.
    """
    meds = read_yaml("medications.yaml")
    names = Spellings(meds)
    codes_path, brands_path = terminology / CODES_CSV, terminology / BRANDS_CSV
    code_rows, brand_csv = _read_csv(codes_path), _read_csv(brands_path)
    not_matched = {str(k): " ".join(str(v).split()) for k, v in (meds.get("brands_not_matched") or {}).items()}
    products = product_rows(code_rows, names)
    brands = brand_rows(brand_csv, names, not_matched)
    if names.unmapped:
        found = "; ".join(f"{s!r} contains {list(i)}" for s, i in sorted(names.unmapped.items()))
        raise BuildError(f"ingredient spellings not in medications.yaml: {found} (add each as a synonym, or as an ingredient of its own)")
    inputs = {CODES_CSV: codes_path, "medications.yaml": VALUESET_DIR / "medications.yaml"}
    product_about = _about(
        "RxNorm code (any term type) -> ingredient names, for every code of the public value-set "
        "consolidation that contains an ingredient of medications.yaml. `tty` only where a source "
        "states it; `source_file` lists the files (relative to the consolidation's folder) that list the code.",
        inputs, len(code_rows), len(products), {},
    )
    brand_about = _about(
        "Brand name -> ingredient names, for every brand of the public value-set consolidation "
        "with an ingredient of medications.yaml, matched by name (whole words, case-insensitive).",
        {BRANDS_CSV: brands_path, "medications.yaml": VALUESET_DIR / "medications.yaml"},
        len(brand_csv), len(brands), {"left_out": not_matched},
    )
    out.mkdir(parents=True, exist_ok=True)
    written = [out / PRODUCT_TABLE, out / BRAND_TABLE]
    written[0].write_bytes(render(product_about, "products", products))
    written[1].write_bytes(render(brand_about, "brands", brands))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terminology", type=Path, default=DEFAULT_TERMINOLOGY, help="folder holding rxnorm_drug_codes.csv and brand_names.csv")
    parser.add_argument("--out", type=Path, default=VALUESET_DIR, help="folder to write the two JSON tables into")
    args = parser.parse_args(argv)
    try:
        written = build(args.terminology, args.out)
    except BuildError as error:
        print(f"build_drug_tables: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
