"""The drug catalog: names as EHRs write them, the groups the trial files name, data errors.

Name fallback (criteria-nct05247203.md, "Drug identity"): case-insensitive, Tall Man lettering
and salt words ignored, against ingredient names, synonyms and brand names, whole words only.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fhir_builders import (
    allergy,
    days_before,
    medication,
    medication_request,
    medication_statement,
)
from trial_eval import criterion, evaluate

from fhir_mappings.codes import ATC, RXNORM
from fhir_mappings.drugs import build_catalog, drug_catalog
from fhir_mappings.terminology import Coding, ValueSetError


def names(text: str) -> tuple[str, ...]:
    return drug_catalog().ingredients_by_name(text)


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("predniSONE 20 MG Oral Tablet", ("prednisone",)),  # Synthea's Tall Man lettering
        ("hydroxyCHLOROquine sulfate 200 MG Oral Tablet", ("hydroxychloroquine",)),
        ("METHYLPREDNISOLONE SODIUM SUCCINATE 125 MG Injection", ("methylprednisolone",)),
        ("cycloSPORINE, modified 100 MG Oral Capsule", ("cyclosporine",)),
        ("Penicillin V Potassium 250 MG Oral Tablet", ("penicillin v",)),
        ("infliximab-dyyb 100 MG Injection [Inflectra]", ("infliximab",)),  # biosimilar suffix
        ("adalimumab-atto 40 MG/0.8ML", ("adalimumab",)),
        ("rituximab-abbs", ("rituximab",)),
        ("Sulfamethoxazole 800 MG / Trimethoprim 160 MG Oral Tablet", ("sulfamethoxazole", "trimethoprim")),
        ("Amoxicillin 875 MG / Clavulanate 125 MG Oral Tablet", ("amoxicillin", "clavulanate")),
        ("Plaquenil", ("hydroxychloroquine",)),
        ("PLAQUENIL 200 MG TABS", ("hydroxychloroquine",)),
        ("Rituxan (rituximab) infusion", ("rituximab",)),
        ("Benlysta", ("belimumab",)),
        ("Solu-Medrol 125 mg", ("methylprednisolone",)),
        ("Solu Medrol", ("methylprednisolone",)),  # EHRs drop the hyphen
        ("Solu-Delta-Cortef", ("prednisolone",)),  # not hydrocortisone (Cortef, Solu-Cortef)
        ("Otomax HC ear drops", ("chloroxylenol", "hydrocortisone", "pramoxine")),  # not Otomax
        ("Advil PM", ("diphenhydramine", "ibuprofen")),  # not Advil alone
        ("Aleve-D Sinus", ("naproxen", "pseudoephedrine")),
        ("Key-Pred SP 50 MG/ML", ("prednisolone",)),  # a hyphenated brand is not a biosimilar
        ("Hydeltra-T.B.A.", ("prednisolone",)),
        ("Aralen Phosphate", ("chloroquine",)),
        ("IVIG 10 % infusion", ("immunoglobulin g",)),
        ("Hizentra", ("immunoglobulin g",)),
        ("Tripterygium wilfordii glycosides tablets", ("tripterygium wilfordii",)),
        ("雷公藤多苷片", ("tripterygium wilfordii",)),  # no word spaces: a substring match
        ("silver sulfadiazine 1 % Topical Cream", ("silver sulfadiazine",)),  # not sulfadiazine
        ("RC18 (telitacicept) 160 mg", ("telitacicept",)),
    ],
)
def test_names_as_ehrs_write_them(text: str, expected: tuple[str, ...]) -> None:
    assert names(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "lisinopril 10 MG Oral Tablet",
        "Genesis glucose test strips",  # an ordinary word that is also a triamcinolone brand
        "Prednisolonex",  # a name inside a longer word
        "Cleaveland Clinic",  # Aleve inside a word
        "Pred",  # not a brand on its own (Pred Forte, Pred Mild are)
        "",
    ],
)
def test_text_that_names_no_catalog_drug(text: str) -> None:
    assert names(text) == ()


def test_ibu_is_a_brand_but_not_inside_ibuprofen() -> None:
    assert names("Ibu 600 MG") == ("ibuprofen",)
    assert names("ibuprofen 600 MG") == ("ibuprofen",)


def test_normalize_name_keeps_hyphenated_brands_whole() -> None:
    catalog = drug_catalog()
    assert catalog.normalize_name("Infliximab-DYYB Sodium") == "infliximab"
    assert catalog.normalize_name("Key-Pred") == "key-pred"


# --- codes -----------------------------------------------------------------------------------


def test_codes_of_several_codings_are_joined_without_repeats() -> None:
    codings = [Coding(RXNORM, "979094"), Coding(RXNORM, "5521"), Coding("http://example.org/local", "HCQ200")]
    assert drug_catalog().ingredients_by_codes(codings) == ("hydroxychloroquine",)


def test_atc_codes_map_to_ingredients_including_pre_2024_codes() -> None:
    catalog = drug_catalog()
    assert catalog.ingredients_by_codes([Coding(ATC, "L04AG04")]) == ("belimumab",)
    assert catalog.ingredients_by_codes([Coding(ATC, "L04AA26")]) == ("belimumab",)  # before 2024


def test_unknown_code_maps_to_nothing() -> None:
    assert drug_catalog().ingredients_by_codes([Coding(RXNORM, "29046")]) == ()  # lisinopril


# --- groups ----------------------------------------------------------------------------------

NCT05247203_GROUPS = {
    "systemic_corticosteroid", "antimalarial", "nsaid", "standard_immunosuppressant", "b_cell_targeted",
    "tnf_inhibitor", "il_receptor_blocker", "ivig", "interleukin_2", "thalidomide", "tripterygium",
    "biologic_allergen",
}
PORTFOLIO_GROUPS = {
    "glucocorticoid", "glucocorticoid_with_factor", "glucocorticoid_without_factor", "methotrexate", "hcq",
    "dmard_named", "dmard_uncertain", "b_cell", "anti_cd20", "anti_cd19", "cd19_car_t", "anti_cd22",
    "baff_april", "sle_investigated", "other_biologic", "jak_inhibitor", "cyclophosphamide",
    "calcineurin_inhibitor", "calcineurin_or_cyclophosphamide", "anti_infective", "anti_infective_excluded",
    "study_therapy_regency", "regency_premedication", "btk_inhibitor", "anti_cd38", "b_lineage_uncertain",
    "investigational_biologic",
}


def test_every_group_a_trial_file_names_exists() -> None:
    assert NCT05247203_GROUPS | PORTFOLIO_GROUPS <= drug_catalog().group_names


@pytest.mark.parametrize(
    ("group", "members", "non_members"),
    [
        ("glucocorticoid", {"prednisone", "hydrocortisone", "betamethasone", "deflazacort"}, {"fludrocortisone"}),
        ("glucocorticoid_without_factor", {"betamethasone", "triamcinolone", "cortisone", "budesonide", "deflazacort"}, {"prednisone"}),
        ("systemic_corticosteroid", {"prednisone", "dexamethasone"}, {"betamethasone", "budesonide"}),
        ("dmard_named", {"azathioprine", "mycophenolate", "mycophenolic acid", "cyclophosphamide", "cyclosporine"}, {"methotrexate", "tacrolimus"}),
        ("dmard_uncertain", {"tacrolimus", "leflunomide", "voclosporin"}, {"cyclosporine"}),
        ("b_cell", {"rituximab", "obinutuzumab", "inebilizumab", "tisagenlecleucel", "epratuzumab", "belimumab", "atacicept"}, {"ibrutinib", "daratumumab"}),
        ("b_cell_targeted", {"obinutuzumab", "ocrelizumab", "ublituximab", "telitacicept", "tabalumab"}, {"abatacept"}),
        ("anti_cd20", {"rituximab", "obinutuzumab", "ocrelizumab", "ofatumumab", "epcoritamab", "glofitamab"}, {"belimumab", "inebilizumab"}),
        ("sle_investigated", {"abatacept", "ustekinumab", "secukinumab", "anifrolumab", "dapirolizumab pegol"}, {"tocilizumab"}),
        ("other_biologic", {"infliximab", "tocilizumab", "natalizumab", "daratumumab", "eculizumab"}, {"ustekinumab", "rituximab"}),
        ("jak_inhibitor", {"baricitinib", "tofacitinib", "upadacitinib", "deucravacitinib"}, set()),
        ("calcineurin_or_cyclophosphamide", {"cyclophosphamide", "tacrolimus", "cyclosporine", "voclosporin"}, {"azathioprine"}),
        ("anti_infective", {"amoxicillin", "penicillin g", "sulfamethoxazole", "vancomycin", "isoniazid", "acyclovir", "remdesivir", "tenofovir", "fluconazole", "amphotericin b", "atovaquone", "clavulanate"}, {"hydroxychloroquine", "dapsone", "sulfasalazine", "neomycin", "silver sulfadiazine", "rifaximin", "quinine"}),
        ("study_therapy_regency", {"obinutuzumab", "mycophenolate mofetil", "mycophenolic acid", "mycophenolate", "prednisone", "methylprednisolone"}, {"acetaminophen"}),
        ("regency_premedication", {"acetaminophen", "diphenhydramine"}, set()),
        ("b_lineage_uncertain", {"ibrutinib", "acalabrutinib", "zanubrutinib", "pirtobrutinib", "daratumumab"}, {"rituximab"}),
        ("investigational_biologic", {"epratuzumab", "telitacicept", "veltuzumab", "obexelimab"}, {"anifrolumab", "belimumab"}),
        ("ivig", {"immunoglobulin g"}, set()),
        ("nsaid", {"naproxen", "etodolac", "nabumetone"}, {"aspirin", "acetaminophen"}),
        ("antimalarial", {"hydroxychloroquine", "chloroquine", "quinacrine"}, set()),
    ],
)
def test_groups_hold_what_the_pages_list(group: str, members: set[str], non_members: set[str]) -> None:
    catalog = drug_catalog()
    assert {m for m in members if not catalog.in_group(group, m)} == set()
    assert {m for m in non_members if catalog.in_group(group, m)} == set()


def test_suffix_group_matches_any_word_of_a_biologic_name() -> None:
    catalog = drug_catalog()
    assert catalog.in_group("biologic_allergen", "trastuzumab")  # -mab, not listed
    assert catalog.in_group("biologic_allergen", "dapirolizumab pegol")  # the -mab word is first
    assert not catalog.in_group("biologic_allergen", "methotrexate")


def test_groups_of_reports_every_group_including_composites() -> None:
    groups = drug_catalog().groups_of("obinutuzumab")
    assert {"anti_cd20", "b_cell", "b_cell_targeted", "study_therapy_regency", "biologic_allergen"} <= groups


# --- malformed data stops loading --------------------------------------------------------------


def minimal(**changes: Any) -> dict[str, Any]:
    meds: dict[str, Any] = {
        "ingredients": [{"name": "alpha", "rxcui": "1"}, {"name": "beta", "rxcui": "2"}],
        "groups": {"first": {"description": "d", "members": ["alpha"]}},
        "prednisone_equivalence": {"factors": {}},
    }
    return meds | changes


EMPTY_PRODUCTS: dict[str, Any] = {"products": {}}
EMPTY_BRANDS: dict[str, Any] = {"brands": {}}


@pytest.mark.parametrize(
    ("meds", "products", "brands", "message"),
    [
        (minimal(), {"products": {"1": {"ingredients": ["beta"]}}}, EMPTY_BRANDS, "RxNorm code"),
        (minimal(), EMPTY_PRODUCTS, {"brands": {"Alpha": {"ingredients": ["beta"]}}}, "name ('alpha',)"),
        (minimal(), EMPTY_PRODUCTS, {"brands": {"Sodium": {"ingredients": ["beta"]}}}, "no words left"),
        (minimal(groups={"g": {"description": "d", "includes": ["nowhere"]}}), EMPTY_PRODUCTS, EMPTY_BRANDS, "unknown group 'nowhere'"),
        (minimal(groups={"g": {"description": "d", "includes": ["g"]}}), EMPTY_PRODUCTS, EMPTY_BRANDS, "includes itself"),
        (minimal(groups={"g": {"description": "d", "members": ["gamma"]}}), EMPTY_PRODUCTS, EMPTY_BRANDS, "undeclared ingredients ['gamma']"),
    ],
)
def test_contradictory_or_dangling_data_stops_loading(meds, products, brands, message: str) -> None:
    meds = meds | {"salt_words": ["sodium"]}
    with pytest.raises(ValueSetError, match=re.escape(message)):
        build_catalog(meds, products, brands)


# --- end to end: records coded the way EHRs code them (NCT05247203) ----------------------------


def test_rituximab_given_under_a_branded_product_code_alone_is_a_b_cell_drug() -> None:
    """An SBD coding with no display and no text, as an Epic MedicationRequest may send it."""
    rituxan = medication("1657866")  # rituximab 10 MG/ML Injection [Rituxan]
    entry = criterion(evaluate(medication_request(rituxan, days_before(60), status="completed")), "E10")
    assert entry["status"] == "met"


def test_allergy_coded_with_the_rxnorm_brand_name_rituxan_is_a_biologic_allergy() -> None:
    """US Core AllergyIntolerance.code may be any RxNorm concept; here the BN 226754."""
    entry = criterion(evaluate(allergy(medication("226754", display="Rituxan"))), "E7")
    assert entry["status"] == "met"


def test_allergy_written_only_as_the_brand_text_is_a_biologic_allergy() -> None:
    entry = criterion(evaluate(allergy(medication(text="RITUXAN"))), "E7")
    assert entry["status"] == "met"


def test_plaquenil_under_its_sbd_code_is_a_standard_regimen() -> None:
    plaquenil = medication("979094", display="hydroxychloroquine sulfate 200 MG Oral Tablet [Plaquenil]")
    entry = criterion(evaluate(medication_statement(plaquenil, days_before(300))), "I6")
    assert entry["status"] == "met"


def test_another_anti_cd20_agent_is_a_b_cell_drug() -> None:
    """E10 names 'other anti-CD20/BAFF/APRIL agents'; ocrelizumab by its ingredient code."""
    entry = criterion(evaluate(medication_request(medication("1876366", display="ocrelizumab"), days_before(100), status="completed")), "E10")
    assert entry["status"] == "met"
