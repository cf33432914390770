"""Integrity of the terminology data files under `fhir_mappings/valuesets/`.

The files are read with `yaml.safe_load` directly, so these checks hold for the data
itself, whatever loader reads it. A failure here means a value set is malformed, a
reference dangles, or a known clinical pitfall (a code that looks right but means
something else) has crept into a set.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

VALUESET_DIR = Path(__file__).resolve().parents[3] / "fhir_mappings" / "valuesets"
CODED_FILES = ("conditions.yaml", "immunizations.yaml", "procedures.yaml", "encounters.yaml")
DATA_FILES = (*CODED_FILES, "medications.yaml")
DATA_DATE = date(2026, 11, 25)

CODE_PATTERN_BY_SYSTEM = {
    "snomed": re.compile(r"^[1-9][0-9]{5,17}$"),
    # ICD-10-CM with its dot; a prefix may be a bare chapter letter (O) or a category (M32).
    "icd10cm": re.compile(r"^[A-Z]([0-9][0-9A-Z]([0-9A-Z])?(\.[0-9A-Z]{1,4})?)?$"),
    "loinc": re.compile(r"^[0-9]{1,7}-[0-9]$"),
    "rxnorm": re.compile(r"^[0-9]+$"),
    "cvx": re.compile(r"^[0-9]{2,3}$"),
    "cpt": re.compile(r"^[0-9]{4}[0-9A-Z]$"),
    "atc": re.compile(r"^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$"),
    "hcpcs": re.compile(r"^[A-V][0-9]{4}$"),
    "icd10pcs": re.compile(r"^[0-9A-HJ-NP-Z]{7}$"),
    "actcode": re.compile(r"^[A-Z_]+$"),
}
CODE_ENTRY_KEYS = {"system", "code", "display", "source", "match", "status", "to"}
ATC_PATTERN = CODE_PATTERN_BY_SYSTEM["atc"]
SOURCE_ID = re.compile(r"\bS[0-9]+\b")

REQUIRED_VALUESETS = {
    "conditions.yaml": {
        "sle", "lupus_unspecified", "lupus_cutaneous", "lupus_drug_induced", "lupus_nephritis",
        "dialysis_dependence", "cns_disease", "active_hepatitis", "severe_liver_disease",
        "immunodeficiency", "immunodeficiency_drug_induced", "severe_infection", "gi_ulcer",
        "pregnancy", "lactation", "active_infection", "hiv", "depression_suicidal",
        # the portfolio trials (terminology.md §9)
        "ln_class_i", "ln_class_ii", "ln_class_iii", "ln_class_iv", "ln_class_v", "ln_class_vi", "ln_unclassified",
        "npsle", "cns_event", "ckd_severe", "dialysis_dep", "kidney_tx_status", "kidney_tx_awaiting",
        "organ_tx_awaiting", "infection_any", "infection_serious", "infection_chronic", "superficial_mycosis",
        "latent_tuberculosis", "hbv_dx", "hcv_dx", "hiv_dx", "hiv_inconclusive", "substance_use_disorder",
        "substance_use_screening", "hcq_intolerance", "toxic_maculopathy",
    },
    "immunizations.yaml": {"live_vaccines", "ivig_immunization"},
    "procedures.yaml": {
        "hemodialysis", "plasma_exchange", "dialysis_proc", "kidney_biopsy", "kidney_tx_proc",
        "kidney_pretransplant_evaluation",
    },
    "encounters.yaml": {"inpatient_encounter_class", "inpatient_encounter_type"},
}
REQUIRED_GROUPS = {
    "systemic_corticosteroid", "antimalarial", "nsaid", "standard_immunosuppressant",
    "b_cell_targeted", "tnf_inhibitor", "il_receptor_blocker", "interleukin_inhibitor_other",
    "ivig", "interleukin_2", "thalidomide", "tripterygium", "biologic_allergen",
}


def load(filename: str) -> dict[str, Any]:
    """Parse one data file as the loader will (safe_load, UTF-8)."""
    with (VALUESET_DIR / filename).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def normalized(system: str, code: str) -> str:
    """ICD-10-CM is matched without its dot, as EHRs send it both ways."""
    return code.replace(".", "").upper() if system == "icd10cm" else code


def _entry_holds(entry: dict[str, Any], system: str, wanted: str) -> bool:
    if entry["system"] != system:
        return False
    listed = normalized(system, entry["code"])
    if entry.get("match") == "range":
        return listed <= wanted[: len(listed)] <= normalized(system, entry["to"])
    return wanted == listed or (entry.get("match") == "prefix" and wanted.startswith(listed))


def set_matches(body: dict[str, Any], system: str, code: str) -> bool:
    """Whether a coding falls in a value set, honouring `match: prefix`, `match: range`
    and the set's `exclude` entries."""
    wanted = normalized(system, code)
    if not any(_entry_holds(entry, system, wanted) for entry in body["codes"]):
        return False
    return not any(_entry_holds(entry, system, wanted) for entry in body.get("exclude") or [])


def all_coded_sets() -> list[tuple[str, str, dict[str, Any]]]:
    """(file, set name, body) for every coded value set."""
    return [
        (filename, name, body)
        for filename in CODED_FILES
        for name, body in load(filename)["valuesets"].items()
    ]


def all_code_entries() -> list[tuple[str, dict[str, Any]]]:
    """(label, entry) for every code (and every excluded code) of every coded value set."""
    return [
        (f"{filename}:{name}:{entry.get('code')}", entry)
        for filename, name, body in all_coded_sets()
        for entry in [*body["codes"], *(body.get("exclude") or [])]
    ]


@pytest.fixture(scope="module")
def coded() -> dict[str, dict[str, Any]]:
    """Every coded value set by name (names are unique across files, checked below)."""
    return {name: body for _, name, body in all_coded_sets()}


@pytest.fixture(scope="module")
def medications() -> dict[str, Any]:
    return load("medications.yaml")


def group_members(groups: dict[str, Any], name: str) -> set[str]:
    """A group's members with those of the groups it `includes`."""
    group = groups[name]
    found = set(group.get("members", []))
    for included in group.get("includes", []):
        found |= group_members(groups, included)
    return found


# --- headers -----------------------------------------------------------------------------


@pytest.mark.parametrize("filename", DATA_FILES)
def test_header_names_description_date_and_sources(filename: str) -> None:
    data = load(filename)
    assert isinstance(data["description"], str) and data["description"].strip()
    assert data["date"] == DATA_DATE
    assert isinstance(data["sources"], dict) and data["sources"]
    assert all(isinstance(text, str) and text.strip() for text in data["sources"].values())


def _texts(node: Any) -> list[str]:
    """Every string of a data file except codes (an HCPCS code such as S2065 is no source id)."""
    if isinstance(node, dict):
        return [t for key, value in node.items() if key not in ("code", "to", "sources") for t in _texts(value)]
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    return [node] if isinstance(node, str) else []


@pytest.mark.parametrize("filename", DATA_FILES)
def test_every_source_id_cited_is_declared_in_the_header(filename: str) -> None:
    data = load(filename)
    cited = set(SOURCE_ID.findall("\n".join(_texts(data))))
    assert cited <= set(data["sources"]), f"undeclared source ids: {sorted(cited - set(data['sources']))}"


# --- coded value sets --------------------------------------------------------------------


@pytest.mark.parametrize("filename", CODED_FILES)
def test_required_value_sets_exist_with_description_and_codes(filename: str) -> None:
    sets = load(filename)["valuesets"]
    assert REQUIRED_VALUESETS[filename] <= set(sets)
    for name, body in sets.items():
        assert body["description"].strip(), name
        assert body["codes"], name


def test_value_set_names_are_unique_across_files() -> None:
    names = [name for _, name, _ in all_coded_sets()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(("label", "entry"), all_code_entries(), ids=lambda v: v if isinstance(v, str) else "")
def test_code_entry_is_complete_and_well_formed(label: str, entry: dict[str, Any]) -> None:
    assert set(entry) <= CODE_ENTRY_KEYS, f"{label}: unexpected keys {set(entry) - CODE_ENTRY_KEYS}"
    assert entry["system"] in CODE_PATTERN_BY_SYSTEM, label
    assert isinstance(entry["code"], str), f"{label}: codes are strings (leading zeros matter)"
    assert CODE_PATTERN_BY_SYSTEM[entry["system"]].match(entry["code"]), label
    assert isinstance(entry["display"], str) and entry["display"].strip(), label
    assert isinstance(entry["source"], str) and entry["source"].strip(), label
    if "match" in entry:
        assert entry["match"] in ("prefix", "range"), label
        assert entry["system"] == "icd10cm", f"{label}: prefix and range matching are for ICD-10-CM only"
    if entry.get("match") == "range":
        high = entry["to"]
        assert isinstance(high, str) and CODE_PATTERN_BY_SYSTEM["icd10cm"].match(high), label
        assert len(normalized("icd10cm", high)) == len(normalized("icd10cm", entry["code"])), f"{label}: range ends of one length"
        assert normalized("icd10cm", entry["code"]) < normalized("icd10cm", high), f"{label}: range in order"
    else:
        assert "to" not in entry, f"{label}: `to` belongs to match: range"
    if "match" not in entry and entry["system"] == "icd10cm":
        assert len(normalized("icd10cm", entry["code"])) >= 3, f"{label}: a bare letter needs match: prefix"


@pytest.mark.parametrize(("label", "entry"), all_code_entries(), ids=lambda v: v if isinstance(v, str) else "")
def test_unverified_codes_are_marked_and_only_those(label: str, entry: dict[str, Any]) -> None:
    marked = entry.get("status") == "unverified"
    assert entry.get("status", "unverified") == "unverified", label
    assert marked == ("UNVERIFIED" in entry["source"]), label


@pytest.mark.parametrize(("filename", "name", "body"), all_coded_sets(), ids=lambda v: v if isinstance(v, str) else "")
def test_no_code_appears_twice_in_a_set(filename: str, name: str, body: dict[str, Any]) -> None:
    keys = [(e["system"], normalized(e["system"], e["code"])) for e in body["codes"]]
    duplicates = {k for k in keys if keys.count(k) > 1}
    assert not duplicates, f"{filename}:{name}: {sorted(duplicates)}"


# Codes that look as if they belong but must not, each with its reason.
MUST_NOT_MATCH = [
    ("sle", "snomed", "200936003"),  # "lupus erythematosus" is not specified as systemic
    ("sle", "icd10cm", "M32.0"),  # drug-induced lupus
    ("sle", "icd10cm", "L93.0"),  # discoid lupus
    ("sle", "snomed", "201436003"),  # drug-induced SLE
    ("live_vaccines", "cvx", "187"),  # Shingrix is recombinant
    ("live_vaccines", "cvx", "188"),  # zoster, unspecified
    ("live_vaccines", "cvx", "88"),  # influenza, unspecified
    ("live_vaccines", "cvx", "41"),  # typhoid, parenteral (inactivated)
    ("live_vaccines", "cvx", "101"),  # typhoid Vi polysaccharide
    ("live_vaccines", "cvx", "87"),  # IVIG is not a vaccine
    ("live_vaccines", "cvx", "95"),  # tuberculin skin tests
    ("live_vaccines", "cvx", "96"),
    ("live_vaccines", "cvx", "97"),
    ("live_vaccines", "cvx", "98"),
    ("immunodeficiency", "icd10cm", "D84.821"),  # drug-induced, expected on SLE treatment
    ("immunodeficiency", "icd10cm", "D84821"),  # the same, sent without its dot
    ("active_infection", "icd10cm", "Z22.7"),  # latent tuberculosis
    ("active_infection", "icd10cm", "R76.11"),  # positive TST without active TB
    ("active_infection", "icd10cm", "R76.12"),  # positive IGRA without active TB
    ("active_infection", "snomed", "473114006"),  # history of tuberculosis
    ("cns_disease", "icd10cm", "Z86.73"),  # personal history, not current disease
    ("dialysis_dependence", "snomed", "433146000"),  # CKD stage 5 is not dialysis
    ("dialysis_dependence", "icd10cm", "N18.5"),
    ("active_hepatitis", "icd10cm", "Z22.51"),  # not valid in FY2026
    ("infection_any", "icd10cm", "Z22.7"),  # latent tuberculosis is never an infection (G16)
    ("infection_any", "icd10cm", "R76.11"),
    ("infection_any", "icd10cm", "R76.12"),
    ("infection_any", "icd10cm", "B35.1"),  # superficial mycosis: its own (unknown) tier
    ("infection_any", "icd10cm", "B36.0"),
    ("infection_any", "icd10cm", "B94.8"),  # sequela
    ("infection_any", "icd10cm", "B95.2"),  # organism as the cause of a disease classified elsewhere
    ("infection_any", "snomed", "45170000"),  # encephalitis may be lupus encephalitis
    ("infection_any", "snomed", "7180009"),  # meningitis may be aseptic
    ("infection_any", "snomed", "56819008"),  # Libman-Sacks endocarditis
    ("infection_any", "snomed", "25374005"),  # gastroenteritis is not necessarily infective
    ("infection_any", "snomed", "840544004"),  # suspected COVID-19 is not an infection
    ("infection_serious", "icd10cm", "J06.9"),  # an acute upper respiratory infection is not serious
    ("infection_serious", "snomed", "195742007"),
    ("infection_chronic", "icd10cm", "M86.1"),  # other acute osteomyelitis
    ("infection_chronic", "icd10cm", "M86.8X0"),
    ("cns_event", "icd10cm", "Z86.73"),  # personal history of TIA or infarction
    ("cns_event", "snomed", "1144942002"),  # lupus-related: npsle, not cns_event
    ("dialysis_proc", "snomed", "10848006"),  # removal of a dialysis catheter ends dialysis
    ("dialysis_proc", "snomed", "180273006"),
    ("kidney_tx_proc", "snomed", "175899003"),  # autotransplantation
    ("kidney_tx_proc", "cpt", "50380"),
    ("kidney_tx_proc", "snomed", "313030004"),  # the donor's operation
    ("kidney_biopsy", "snomed", "708940003"),  # UNVERIFIED: include only once confirmed
    ("substance_use_disorder", "icd10cm", "F10.11"),  # in remission
    ("substance_use_disorder", "icd10cm", "F11.21"),
    ("substance_use_disorder", "icd10cm", "F12.90"),  # use, not abuse or dependence
    ("substance_use_disorder", "icd10cm", "F17.210"),  # nicotine
    ("hbv_dx", "icd10cm", "B18.2"),  # hepatitis C
    ("ln_unclassified", "snomed", "76521009"),  # class III is classified
]

MUST_MATCH = [
    ("sle", "snomed", "55464009"),
    ("sle", "snomed", "68815009"),  # lupus nephritis is SLE
    ("sle", "snomed", "95644001"),  # CNS lupus is SLE
    ("sle", "icd10cm", "M32.14"),  # below the M32.1 prefix
    ("sle", "icd10cm", "M3219"),  # without its dot
    ("sle", "icd10cm", "M32.9"),
    ("lupus_unspecified", "snomed", "200936003"),
    ("lupus_cutaneous", "icd10cm", "L93.0"),
    ("lupus_drug_induced", "icd10cm", "M32.0"),
    ("lupus_nephritis", "icd10cm", "M32.15"),
    ("dialysis_dependence", "snomed", "46177005"),
    ("cns_disease", "icd10cm", "I63.9"),
    ("cns_disease", "icd10cm", "G40.909"),
    ("immunodeficiency", "icd10cm", "D84.9"),
    ("immunodeficiency", "icd10cm", "D83.9"),
    ("immunodeficiency", "icd10cm", "B20"),
    ("immunodeficiency_drug_induced", "icd10cm", "D84.821"),
    ("severe_infection", "icd10cm", "A41.9"),
    ("gi_ulcer", "icd10cm", "K25.9"),
    ("pregnancy", "icd10cm", "Z3A.20"),
    ("active_infection", "icd10cm", "A15.0"),
    ("active_infection", "icd10cm", "B02.9"),
    ("hiv", "icd10cm", "O98.719"),
    ("depression_suicidal", "icd10cm", "F32.A"),
    ("live_vaccines", "cvx", "03"),  # Synthea's MMR
    ("live_vaccines", "cvx", "21"),  # Synthea's varicella
    ("live_vaccines", "cvx", "121"),  # Synthea's live zoster
    ("live_vaccines", "cvx", "119"),  # Synthea's rotavirus
    ("ivig_immunization", "cvx", "87"),
    ("hemodialysis", "snomed", "265764009"),  # Synthea's chronic dialysis
    ("plasma_exchange", "cpt", "36514"),
    ("infection_any", "icd10cm", "A41.9"),  # inside the A00-B99 range
    ("infection_any", "icd10cm", "B99.9"),  # its upper end
    ("infection_any", "icd10cm", "A00.0"),  # its lower end
    ("infection_any", "icd10cm", "J18.9"),
    ("infection_any", "icd10cm", "L03.115"),
    ("infection_any", "icd10cm", "T81.44XA"),
    ("infection_any", "icd10cm", "B20"),
    ("infection_any", "icd10cm", "Z21"),
    ("infection_any", "snomed", "444814009"),  # Synthea's viral sinusitis
    ("infection_serious", "icd10cm", "A41.9"),
    ("infection_serious", "icd10cm", "J15.9"),
    ("infection_chronic", "icd10cm", "M86.4"),  # chronic osteomyelitis, M86.3-M86.6
    ("infection_chronic", "icd10cm", "B18.1"),
    ("superficial_mycosis", "icd10cm", "B35.1"),
    ("cns_event", "icd10cm", "G45.9"),
    ("npsle", "snomed", "1259517005"),
    ("dialysis_proc", "snomed", "265764009"),  # Synthea's renal dialysis
    ("dialysis_proc", "hcpcs", "G0257"),
    ("dialysis_dep", "snomed", "129721000119106"),
    ("kidney_tx_proc", "snomed", "711446003"),  # Synthea's kidney transplant regime
    ("kidney_tx_proc", "icd10pcs", "0TY10Z0"),
    ("kidney_tx_status", "icd10cm", "T86.12"),
    ("kidney_biopsy", "cpt", "50200"),
    ("substance_use_disorder", "icd10cm", "F10.20"),
    ("substance_use_disorder", "icd10cm", "F19.10"),
    ("substance_use_disorder", "icd10cm", "F10.130"),  # withdrawal in abuse (FY2023 codes)
    ("hcq_intolerance", "icd10cm", "T37.2X5A"),
    ("toxic_maculopathy", "icd10cm", "H35.381"),
    ("hiv_inconclusive", "icd10cm", "R75"),
    ("inpatient_encounter_class", "actcode", "IMP"),
    ("inpatient_encounter_type", "snomed", "183452005"),
]


@pytest.mark.parametrize(("set_name", "system", "code"), MUST_NOT_MATCH)
def test_known_pitfall_codes_are_not_in_the_set(coded, set_name: str, system: str, code: str) -> None:
    assert not set_matches(coded[set_name], system, code)


@pytest.mark.parametrize(("set_name", "system", "code"), MUST_MATCH)
def test_expected_codes_are_in_the_set(coded, set_name: str, system: str, code: str) -> None:
    assert set_matches(coded[set_name], system, code)


@pytest.mark.parametrize(
    ("set_name", "other"),
    [
        ("sle", "lupus_unspecified"),
        ("sle", "lupus_cutaneous"),
        ("sle", "lupus_drug_induced"),
        ("immunodeficiency", "immunodeficiency_drug_induced"),
        ("infection_any", "superficial_mycosis"),
        ("infection_any", "latent_tuberculosis"),
        ("cns_event", "npsle"),
        ("substance_use_disorder", "substance_use_screening"),
        ("kidney_tx_awaiting", "organ_tx_awaiting"),
        ("lupus_nephritis", "cns_event"),
    ],
)
def test_sets_that_decide_differently_share_no_code(coded, set_name: str, other: str) -> None:
    for entry in coded[other]["codes"]:
        assert not set_matches(coded[set_name], entry["system"], entry["code"]), entry["code"]


# --- medications -------------------------------------------------------------------------


def test_ingredients_are_unique_and_well_formed(medications) -> None:
    ingredients = medications["ingredients"]
    # Names and synonyms are matched case-insensitively, so they must be unique that way.
    names = [n.lower() for i in ingredients for n in [i["name"], *i.get("synonyms", [])]]
    rxcuis = [i["rxcui"] for i in ingredients if i["rxcui"] is not None]
    assert len(names) == len(set(names))
    assert len(rxcuis) == len(set(rxcuis))
    for ingredient in ingredients:
        label = ingredient["name"]
        assert ingredient["source"].strip(), label
        rxcui = ingredient["rxcui"]
        assert rxcui is None or (isinstance(rxcui, str) and rxcui.isdigit()), label
        for atc in [ingredient.get("atc"), *ingredient.get("atc_other", [])]:
            assert atc is None or ATC_PATTERN.match(atc), label
        if rxcui is None:
            assert "NOT FOUND" in ingredient["source"], f"{label}: say why there is no RxCUI"


def test_required_groups_exist_and_members_are_declared_ingredients(medications) -> None:
    declared = {i["name"] for i in medications["ingredients"]}
    groups = medications["groups"]
    assert REQUIRED_GROUPS <= set(groups)
    for name, group in groups.items():
        assert group["description"].strip(), name
        assert str(group["source"]).strip(), name
        members, includes = group.get("members", []), group.get("includes", [])
        assert members or includes, name
        assert len(members) == len(set(members)), name
        assert set(members) <= declared, f"{name}: {set(members) - declared}"
        assert set(includes) <= set(groups), f"{name}: {set(includes) - set(groups)}"
        assert group_members(groups, name), name


def test_every_declared_ingredient_belongs_to_a_group(medications) -> None:
    grouped = {m for g in medications["groups"].values() for m in g.get("members", [])}
    assert {i["name"] for i in medications["ingredients"]} <= grouped


@pytest.mark.parametrize(
    ("group", "member"),
    [
        ("systemic_corticosteroid", "prednisone"),
        ("standard_immunosuppressant", "mycophenolate"),
        ("standard_immunosuppressant", "cyclosporine"),
        ("b_cell_targeted", "telitacicept"),
        ("b_cell_targeted", "epratuzumab"),
        ("tnf_inhibitor", "infliximab"),
        ("il_receptor_blocker", "tocilizumab"),
        ("il_receptor_blocker", "basiliximab"),
        ("ivig", "immunoglobulin G"),
        ("tripterygium", "tripterygium wilfordii"),
        ("biologic_allergen", "rituximab"),
    ],
)
def test_groups_hold_the_ingredients_the_criteria_name(medications, group: str, member: str) -> None:
    assert member in group_members(medications["groups"], group)


def test_interleukin_ligand_inhibitors_are_not_receptor_blockers(medications) -> None:
    groups = medications["groups"]
    assert not set(groups["il_receptor_blocker"]["members"]) & set(groups["interleukin_inhibitor_other"]["members"])


def test_biologic_allergen_matches_by_inn_stem(medications) -> None:
    group = medications["groups"]["biologic_allergen"]
    assert group["name_suffixes"] == ["mab", "cept"]
    assert all(m.split()[0].endswith(("mab", "cept")) for m in group["members"])


def test_name_only_ingredients_carry_the_names_records_use(medications) -> None:
    by_name = {i["name"]: i for i in medications["ingredients"]}
    synonyms = {s.lower() for s in by_name["tripterygium wilfordii"]["synonyms"]}
    assert {"tripterygium", "lei gong teng"} <= synonyms


def test_prednisone_equivalence_covers_exactly_the_systemic_corticosteroids(medications) -> None:
    equivalence = medications["prednisone_equivalence"]
    factors = equivalence["factors"]
    assert equivalence["source"].strip()
    assert set(factors) == set(medications["groups"]["systemic_corticosteroid"]["members"])
    assert factors["prednisone"] == 1.0
    assert factors["dexamethasone"] == pytest.approx(6.67)
    assert all(isinstance(f, float) and f > 0 for f in factors.values())


@pytest.mark.parametrize("key", ["salt_words"])
def test_word_lists_are_lower_case_strings(medications, key: str) -> None:
    words = medications[key]
    assert words and len(words) == len(set(words))
    assert all(isinstance(w, str) and w == w.lower() and w.strip() for w in words)


# --- RxNorm concepts named by the pages (the generated tables: test_drug_tables.py) -----------


def test_rxnorm_concepts_map_to_declared_ingredients(medications) -> None:
    declared = {i["name"] for i in medications["ingredients"]}
    ingredient_rxcuis = {i["rxcui"] for i in medications["ingredients"] if i["rxcui"] is not None}
    rxcuis = [c["rxcui"] for c in medications["rxnorm_concepts"]]
    assert len(rxcuis) == len(set(rxcuis))
    for concept in medications["rxnorm_concepts"]:
        label = concept["rxcui"]
        assert isinstance(label, str) and label.isdigit(), label
        assert label not in ingredient_rxcuis, f"{label}: a concept code is not a single-ingredient code"
        assert concept["tty"] in {"PIN", "MIN", "SCD"}, label
        assert concept["name"].strip() and str(concept["source"]).strip(), label
        assert concept["ingredients"] and set(concept["ingredients"]) <= declared, label


def test_biosimilar_pin_maps_to_the_base_ingredient(medications) -> None:
    concept = next(c for c in medications["rxnorm_concepts"] if c["rxcui"] == "1927283")
    assert concept["ingredients"] == ["infliximab"]  # S18: infliximab-abda is a PIN of IN 191831


def test_brands_not_matched_each_give_a_reason(medications) -> None:
    for brand, reason in medications["brands_not_matched"].items():
        assert isinstance(brand, str) and brand.strip()
        assert isinstance(reason, str) and len(reason.split()) >= 5, brand
