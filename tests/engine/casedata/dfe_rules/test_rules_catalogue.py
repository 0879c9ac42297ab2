"""DfE's rule codes said in words wherever a person reads them (the work list)."""

from __future__ import annotations

from journey.engine.casedata.dfe_rules import rules_in_words


def test_rule_codes_are_given_with_dfes_message_and_an_unknown_code_is_left_as_it_is():
    assert rules_in_words("8820") == "8820: The dates on the CIN episodes for this child overlap"
    assert rules_in_words("8630, 8820") == (
        "8630: CIN Closure Date is before CIN Referral Date for the same CIN episode; "
        "8820: The dates on the CIN episodes for this child overlap"
    )
    assert rules_in_words("9999") == "9999"
    assert rules_in_words("") == ""
