"""Codes on pages and in reports carry their meaning."""

from journey.engine.casedata.codes import code_name


def test_dfe_codes_keep_the_code_and_gain_their_meaning():
    assert code_name("placement_type", "K2") == "K2 – Children's home subject to children's homes regulations"
    assert code_name("placement_provider", "PR4") == "PR4 – Private provision"
    assert code_name("legal_status", "C2").startswith("C2 – ")


def test_the_extracts_own_words_become_their_meaning_and_other_values_are_left_alone():
    assert code_name("service", "front_door") == "Front door / MASH"
    assert code_name("grade", "requires_improvement") == "Requires improvement"
    assert code_name("team", "North") == "North"
    assert code_name("placement_type", "Not recorded") == "Not recorded"
    assert code_name("placement_type", "ZZ") == "ZZ"
