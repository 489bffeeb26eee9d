"""Action words of English, French and German work orders, read from one table (user test B, item 11)."""

from __future__ import annotations

import pytest

from moesaic.data.schema import Document
from moesaic.reports.scenarios import ACTIONS
from moesaic.reports.scenarios.actions import ACTION_WORDS, INVASIVE, fold, text_verbs
from moesaic.reports.scenarios.coding import describe_coding, read_coding


@pytest.mark.parametrize(
    ("text", "verbs"),
    [
        # The report's orders, each read as "names no action, hence inspect" before.
        ("Remplacement roulement côté pompe après bruit", {"replace"}),
        ("fuite garniture, garniture remplacée", {"replace"}),
        ("Dichtung getauscht", {"replace"}),
        ("grinding noise DE bearing, greased", {"lubricate"}),
        # English inflections, French and German verbs and nouns, German compounds.
        ("regreased and cleaned the filter", {"lubricate", "clean"}),
        ("Roulement bruyant, graissage", {"lubricate"}),
        ("Inspection filtre à air, nettoyage", {"inspect", "clean"}),
        ("Lagerwechsel DE-Seite, Sichtprüfung ok", {"replace", "inspect"}),
        ("Pruefung Kupplung, nachgeschmiert", {"inspect", "lubricate"}),
        ("Welle ausgerichtet, Schrauben nachgezogen", {"adjust"}),
        ("Vibration élevée, alignement accouplement refait", {"adjust"}),
        ("réparation soudure carter, essai à vide", {"repair", "test"}),
        ("Schwingungsanalyse, Überwachung verlängert", {"monitor"}),
        ("MOTEUR RÉPARÉ, ÉTALONNAGE CAPTEUR", {"repair", "test"}),
        # A part whose name contains an action word names no action.
        ("Wärmetauscher verschmutzt", set()),
        ("échangeur encrassé", set()),
        ("hydraulic fitting leaking", set()),
        ("seal flush line blocked, checked", {"inspect"}),
        ("misalignment on coupling", set()),
    ],
)
def test_action_words_of_three_languages(text: str, verbs: set[str]) -> None:
    assert text_verbs(text) == verbs


def test_the_table_covers_every_action_in_every_language() -> None:
    assert set(ACTION_WORDS) == set(ACTIONS) == set(INVASIVE)
    for action, by_language in ACTION_WORDS.items():
        assert set(by_language) == {"en", "fr", "de"}, action
        for stems in by_language.values():
            assert stems and all(s == fold(s) and s.isalpha() for s in stems), (action, stems)
    assert fold("Garniture remplacée, Maße geprüft, cœur") == "garniture remplacee, masse gepruft, coeur"


def test_a_users_order_is_coded_by_its_most_invasive_action() -> None:
    def coding_of(text: str) -> str:
        order = Document(doc_id="1", kind="work_order", text=text, fields={"failure_code": "SEAL"})
        coding = read_coding(order)
        return f"{coding.key} | {describe_coding(coding)}"

    assert coding_of("Dichtung geprüft und getauscht") == (
        "replace:SEAL | record failure mode SEAL (failure_code); their text says replace"
    )
    assert coding_of("garniture graissée").startswith("lubricate:SEAL")
    assert coding_of("fuite garniture").endswith("their text names no action, hence inspect")
