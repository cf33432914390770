"""The generated RxNorm product and brand tables, checked against the public data they come from.

The consolidation in ../shared/data/terminology (rxnorm_drug_codes.csv, brand_names.csv; see
its SOURCE.md) is read here directly, so a code or brand of a drug the trials name that the
package does not map to the right ingredients fails a test, and so does a committed table that
no longer equals what scripts/build_drug_tables.py writes.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from fhir_mappings.codes import RXNORM
from fhir_mappings.drugs import BRAND_TABLE, PRODUCT_TABLE, drug_catalog
from fhir_mappings.terminology import VALUESET_DIR, Coding

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "scripts" / "build_drug_tables.py"


@pytest.fixture(scope="module")
def medications() -> dict[str, Any]:
    return yaml.safe_load((VALUESET_DIR / "medications.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def spelled(medications) -> dict[str, str]:
    """Any ingredient name or synonym, lower-cased -> the ingredient's catalog name."""
    return {
        text.lower(): item["name"].lower()
        for item in medications["ingredients"]
        for text in [item["name"], *item.get("synonyms", [])]
    }


def read_csv(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def expected_ingredients(field: str, spelled: dict[str, str]) -> set[str]:
    """The catalog names of a CSV ingredient field; an ingredient the catalog lacks as written."""
    return {spelled.get(part, part) for part in field.split(";")}


def tall_man(text: str) -> str:
    """Tall Man lettering as EHRs print it: the middle third of the name in capitals."""
    third = len(text) // 3
    return text[:third] + text[third : 2 * third].upper() + text[2 * third :]


# --- the committed tables are exactly what the script writes --------------------------------


def test_committed_tables_equal_what_the_script_writes_now(terminology_data: Path, tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--terminology", str(terminology_data), "--out", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, run.stderr
    for name in (PRODUCT_TABLE, BRAND_TABLE):
        assert (tmp_path / name).read_bytes() == (VALUESET_DIR / name).read_bytes(), (
            f"{name} differs from what scripts/build_drug_tables.py writes: re-run it and commit the result"
        )


def test_script_refuses_a_spelling_that_only_contains_a_catalog_ingredient(terminology_data: Path, tmp_path: Path) -> None:
    """A new salt or ester spelling must be declared, not silently kept as an unknown ingredient."""
    source = tmp_path / "in"
    source.mkdir()
    (source / "rxnorm_drug_codes.csv").write_text(
        "rxcui,tty_if_stated,display,ingredients,source_file\n"
        "1,,methotrexate disodium 25 MG/ML Injection,methotrexate disodium,example.json\n",
        encoding="utf-8",
    )
    (source / "brand_names.csv").write_text((terminology_data / "brand_names.csv").read_text(encoding="utf-8"), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--terminology", str(source), "--out", str(tmp_path / "out")],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    assert run.returncode == 1
    assert "'methotrexate disodium' contains ['methotrexate']" in run.stderr
    assert not (tmp_path / "out").exists()


def test_script_names_a_missing_input_folder(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--terminology", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    assert run.returncode == 1
    assert "rxnorm_drug_codes.csv: not found" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("name", [PRODUCT_TABLE, BRAND_TABLE])
def test_table_header_names_its_inputs_and_how_to_rebuild_it(name: str) -> None:
    about = orjson.loads((VALUESET_DIR / name).read_bytes())["about"]
    assert about["generated_by"].startswith("scripts/build_drug_tables.py")
    assert about["rebuild"].startswith(".venv/bin/python scripts/build_drug_tables.py")
    assert "medications.yaml" in about["inputs"]
    assert {"rxnorm_drug_codes.csv", "brand_names.csv"} & set(about["inputs"])
    assert 0 < about["rows_kept"] <= about["rows_read"]


# --- every code of every drug family maps to exactly its ingredients -----------------------


def test_every_listed_code_of_a_catalog_drug_maps_to_exactly_its_ingredients(terminology_data: Path, spelled) -> None:
    """Every RxCUI of rxnorm_drug_codes.csv (IN, PIN, BN, SCD, SBD, SCDC, SBDC, SCDF, SBDF,
    SCDG, SBDG, packs ...) that contains an ingredient of the catalog maps, by code alone, to
    exactly the ingredient set the source gives it: a combination product to all of them."""
    catalog = drug_catalog()
    catalog_names = set(spelled.values())
    wrong = []
    checked = 0
    for row in read_csv(terminology_data, "rxnorm_drug_codes.csv"):
        expected = expected_ingredients(row["ingredients"], spelled)
        if not expected & catalog_names:
            continue
        checked += 1
        found = catalog.ingredients_by_codes([Coding(RXNORM, row["rxcui"])])
        if set(found) != expected or len(found) != len(expected):
            wrong.append(f"{row['rxcui']} {row['display']!r}: {sorted(found)} != {sorted(expected)}")
    assert not wrong, "\n".join(wrong[:20])
    assert checked > 4000  # the consolidation lists 4,839 codes of these families


def test_every_family_of_the_consolidation_is_in_the_catalog(terminology_data: Path, spelled) -> None:
    """No row of the drug families the data was gathered for is left out of the tables."""
    catalog_names = set(spelled.values())
    left_out = [
        row["rxcui"]
        for row in read_csv(terminology_data, "rxnorm_drug_codes.csv")
        if not expected_ingredients(row["ingredients"], spelled) & catalog_names
    ]
    assert not left_out


@pytest.mark.parametrize(
    ("rxcui", "ingredients"),
    [
        ("312615", {"prednisone"}),  # Synthea's lupus prednisone SCD
        ("849574", {"naproxen"}),  # Synthea's naproxen sodium (a salt form)
        ("241834", {"cyclosporine"}),  # Synthea's "cycloSPORINE, modified"
        ("979092", {"hydroxychloroquine"}),  # Synthea SCD, hydroxychloroquine sulfate
        ("979094", {"hydroxychloroquine"}),  # SBD [Plaquenil]
        ("202462", {"hydroxychloroquine"}),  # BN Plaquenil
        ("226754", {"rituximab"}),  # BN Rituxan
        ("1657866", {"rituximab"}),  # SBD [Rituxan]
        ("2105833", {"rituximab"}),  # rituximab-abbs [Truxima], a biosimilar
        ("1927887", {"hyaluronidase", "rituximab"}),  # [Rituxan Hycela]: both ingredients
        ("1442698", {"obinutuzumab"}),  # SBD [Gazyva]
        ("1790546", {"infliximab"}),  # infliximab-dyyb [Inflectra]
        ("1809518", {"immunoglobulin g"}),  # IVIG SBD [Privigen]
        ("1734919", {"cyclophosphamide"}),  # Synthea's IV cyclophosphamide (terminology.md §9.3)
        ("1927283", {"infliximab"}),  # PIN infliximab-abda (S18), from medications.yaml
        ("10831", {"sulfamethoxazole", "trimethoprim"}),  # MIN (terminology.md §9.3)
        ("2284960", {"remdesivir"}),  # Synthea's remdesivir SCD (terminology.md §9.3)
        ("1805714", {"triamcinolone"}),  # [Genesis]: the code maps though the brand word does not
    ],
)
def test_codes_the_reference_pages_and_synthea_use(rxcui: str, ingredients: set[str]) -> None:
    assert set(drug_catalog().ingredients_by_codes([Coding(RXNORM, rxcui)])) == ingredients


def test_every_ingredient_code_of_medications_yaml_maps_to_its_ingredient(medications) -> None:
    catalog = drug_catalog()
    for item in medications["ingredients"]:
        if item["rxcui"]:
            assert catalog.ingredients_by_codes([Coding(RXNORM, item["rxcui"])]) == (item["name"].lower(),)


# --- every brand maps by name ------------------------------------------------------------------


def test_every_brand_maps_by_name_in_plain_upper_case_and_tall_man_spelling(terminology_data: Path, spelled, medications) -> None:
    catalog = drug_catalog()
    catalog_names = set(spelled.values())
    not_matched = set(medications["brands_not_matched"])
    wrong = []
    checked = 0
    for row in read_csv(terminology_data, "brand_names.csv"):
        expected = expected_ingredients(row["ingredient"], spelled)
        if not expected & catalog_names or row["brand"] in not_matched:
            continue
        checked += 1
        for text in (row["brand"], row["brand"].upper(), tall_man(row["brand"]), f"{row['brand']} Oral Product"):
            found = catalog.ingredients_by_name(text)
            if set(found) != expected or len(found) != len(expected):
                wrong.append(f"{text!r}: {sorted(found)} != {sorted(expected)}")
    assert not wrong, "\n".join(wrong[:20])
    assert checked > 350


def test_brands_not_matched_are_not_read_as_a_drug_name(medications) -> None:
    for brand in medications["brands_not_matched"]:
        assert drug_catalog().ingredients_by_name(f"{brand} Topical Product") == ()


@pytest.mark.parametrize(
    ("brand", "ingredient"),
    [("Benlysta", "belimumab"), ("BENLYSTA 200 MG/ML", "belimumab"), ("Lupkynis", "voclosporin"), ("Gazyva", "obinutuzumab")],
)
def test_brands_the_reference_pages_give(brand: str, ingredient: str) -> None:
    assert drug_catalog().ingredients_by_name(brand) == (ingredient,)
