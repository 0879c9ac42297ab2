"""Code lists used by the statutory returns (SSDA903, CIN census) and the canonical schema.

Kept as plain dictionaries (code → meaning) so the documentation, the validation and the
synthetic council all read the same lists.
"""

from __future__ import annotations

SEX = {"M": "Male", "F": "Female", "U": "Unknown or not recorded"}

ETHNICITY = {
    "WBRI": "White British",
    "WIRI": "White Irish",
    "WIRT": "Traveller of Irish heritage",
    "WOTH": "Any other White background",
    "WROM": "Gypsy/Roma",
    "MWBC": "White and Black Caribbean",
    "MWBA": "White and Black African",
    "MWAS": "White and Asian",
    "MOTH": "Any other mixed background",
    "AIND": "Indian",
    "APKN": "Pakistani",
    "ABAN": "Bangladeshi",
    "AOTH": "Any other Asian background",
    "BCRB": "Black Caribbean",
    "BAFR": "Black African",
    "BOTH": "Any other Black background",
    "CHNE": "Chinese",
    "OOTH": "Any other ethnic group",
    "REFU": "Refused",
    "NOBT": "Information not yet obtained",
}

CONTACT_OUTCOME = {
    "referral": "Led to a referral to children's social care",
    "early_help": "Passed to early help",
    "advice": "Information and advice given, no further action",
    "nfa": "No further action",
}

REFERRAL_SOURCE = {
    "1A": "Individual: family member/relative/carer",
    "1B": "Individual: acquaintance",
    "1C": "Individual: self",
    "1D": "Individual: other",
    "2A": "Schools",
    "2B": "Education services",
    "3A": "Health services: GP",
    "3B": "Health services: health visitor",
    "3C": "Health services: school nurse",
    "3D": "Health services: other primary health services",
    "3E": "Health services: A&E",
    "3F": "Health services: other",
    "4": "Housing",
    "5A": "LA services: social care",
    "5B": "LA services: other internal",
    "5C": "LA services: external",
    "5D": "LA services: early help",
    "6": "Police",
    "7": "Other legal agency",
    "8": "Other",
    "9": "Anonymous",
    "10": "Unknown",
}

PRIMARY_NEED = {
    "N0": "Not stated",
    "N1": "Abuse or neglect",
    "N2": "Child's disability",
    "N3": "Parental illness or disability",
    "N4": "Family in acute stress",
    "N5": "Family dysfunction",
    "N6": "Socially unacceptable behaviour",
    "N7": "Low income",
    "N8": "Absent parenting",
    "N9": "Cases other than children in need",
}

CIN_CLOSURE_REASON = {
    "RC1": "Adopted",
    "RC2": "Died",
    "RC3": "Child arrangements order",
    "RC4": "Special guardianship order",
    "RC5": "Transferred to services of another LA",
    "RC6": "Transferred to adult social services",
    "RC7": "Services ceased for any other reason, including child no longer in need",
    "RC8": "Case closed after assessment, no further action",
    "RC9": "Case closed after assessment, referred to early help",
}

CP_CATEGORY = {
    "NEG": "Neglect",
    "PHY": "Physical abuse",
    "SAB": "Sexual abuse",
    "EMO": "Emotional abuse",
    "MUL": "Multiple categories",
}

# SSDA903 episodes.
REASON_NEW_EPISODE = {
    "S": "Started to be looked after",
    "P": "Change of placement (and carer) only",
    "L": "Change of legal status only",
    "T": "Change of placement and legal status at the same time",
    "B": "Change of legal status and placement to a different carer",
    "U": "Change of placement with the same carer",
}

LEGAL_STATUS = {
    "C1": "Interim care order",
    "C2": "Full care order",
    "D1": "Freeing order granted",
    "E1": "Placement order granted",
    "J1": "Remanded to LA accommodation or youth detention accommodation",
    "J2": "Placed in LA accommodation under PACE",
    "J3": "Sentenced to a youth rehabilitation order with residence or fostering requirement",
    "L1": "Under police protection and in LA accommodation",
    "L2": "Emergency protection order",
    "L3": "Under child assessment order and in LA accommodation",
    "V2": "Single period of accommodation under section 20",
    "V3": "Accommodated under an agreed series of short-term breaks (individual episodes)",
    "V4": "Accommodated under an agreed series of short-term breaks (multiple occasions)",
}

SHORT_BREAK_LEGAL_STATUS = frozenset({"V3", "V4"})

CATEGORY_OF_NEED = {code: PRIMARY_NEED[code] for code in ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8")}

PLACEMENT_TYPE = {
    "A3": "Placed for adoption with parental/guardian consent with current foster carer(s)",
    "A4": "Placed for adoption with parental/guardian consent not with current foster carer(s)",
    "A5": "Placed for adoption with placement order with current foster carer(s)",
    "A6": "Placed for adoption with placement order not with current foster carer(s)",
    "H5": "Semi-independent living accommodation not subject to children's homes regulations",
    "K1": "Secure children's home",
    "K2": "Children's home subject to children's homes regulations",
    "K3": "Supported accommodation registered with Ofsted",
    "P1": "Placed with own parent(s) or other person(s) with parental responsibility",
    "P2": "Independent living, e.g. flat, lodgings, bedsit, B&B or with friends",
    "P3": "Residential employment",
    "R1": "Residential care home",
    "R2": "NHS/health trust or other establishment providing medical or nursing care",
    "R3": "Family centre or mother and baby unit",
    "R5": "Young offender institution or prison",
    "S1": "All residential schools, except where dual-registered as a school and children's home",
    "T0": "Temporary placement (all types)",
    "T1": "Temporary periods in hospital",
    "T2": "Temporary absences of the child on holiday",
    "T3": "Temporary accommodation whilst normal foster carer(s) is/are on holiday",
    "T4": "Temporary accommodation of seven days or less",
    "U1": "Foster placement with relative or friend – long term fostering",
    "U2": "Foster placement with relative or friend who is also an approved adopter (FFA)",
    "U3": "Foster placement with relative or friend – not long term or FFA",
    "U4": "Foster placement with other foster carer – long term fostering",
    "U5": "Foster placement with other foster carer who is also an approved adopter (FFA)",
    "U6": "Foster placement with other foster carer – not long term or FFA",
    "Z1": "Other placements (must be listed on a schedule sent to DfE with annual submission)",
}

ADOPTION_PLACEMENT_TYPES = frozenset({"A3", "A4", "A5", "A6"})

PLACEMENT_PROVIDER = {
    "PR0": "Parent(s) or other person(s) with parental responsibility",
    "PR1": "Own provision (by the LA)",
    "PR2": "Other LA provision",
    "PR3": "Other public provision (e.g. by a PCT etc)",
    "PR4": "Private provision",
    "PR5": "Voluntary/third sector provision",
}

REASON_CEASED = {
    "E11": "Adopted – application for an adoption order unopposed",
    "E12": "Adopted – consent dispensed with by the court",
    "E13": "Left care to live with parent(s), relative(s), or other person(s) with no parental responsibility",
    "E14": "Accommodation on remand ended",
    "E15": "Age assessment determined child is aged 18 or over",
    "E16": "Child moved abroad",
    "E17": "Aged 18 (or over) and remained with current carers (inc under staying put arrangements)",
    "E2": "Died",
    "E3": "Care taken over by another LA in the UK",
    "E41": "Residence order (or, from 22 April 2014, a child arrangement order) granted",
    "E45": "Special guardianship order made to former foster carer(s), who was/are a relative(s) or friend(s)",
    "E46": "Special guardianship order made to former foster carer(s), other than relative(s) or friend(s)",
    "E47": "Special guardianship order made to carer(s), other than former foster carer(s), who was/are a relative(s) or friend(s)",
    "E48": "Special guardianship order made to carer(s), other than former foster carer(s), other than relative(s) or friend(s)",
    "E4A": "Returned home to live with parent(s), relative(s), or other person(s) with parental responsibility as part of the care planning process",
    "E4B": "Returned home to live with parent(s), relative(s), or other person(s) with parental responsibility which was not part of the current planning process",
    "E5": "Moved into independent living arrangement and no longer looked-after: supportive accommodation providing formalised advice/support arrangements",
    "E6": "Moved into independent living arrangement and no longer looked-after: accommodation providing no formalised advice/support arrangements",
    "E7": "Transferred to residential care funded by adult social care",
    "E8": "Period of being looked-after ended for any other reason",
    "E9": "Sentenced to custody",
    "X1": "Episode ceases, and new episode begins on same day, for any reason",
}

REVIEW_PARTICIPATION = {f"PN{n}": f"Participation code PN{n}" for n in range(8)}
REVIEW_PARTICIPATION.update(
    {
        "PN0": "Child aged under 4 at the time of the review",
        "PN1": "Child physically attends and speaks for him or herself",
        "PN2": "Child physically attends; an advocate speaks on their behalf",
        "PN3": "Child attends and conveys views symbolically (non-verbally)",
        "PN4": "Child physically attends but does not speak for themselves or through an advocate",
        "PN5": "Child does not attend but briefs an advocate to speak for them",
        "PN6": "Child does not attend but conveys their feelings by a facilitative medium",
        "PN7": "Child does not attend nor are their views conveyed to the review",
    }
)

VISIT_TYPE = {"CIN": "Child in need visit", "CP": "Child protection visit", "CLA": "Looked-after child visit"}

#: SSDA903 Missing MISSING / SSD miss_missing_episode_type.
MISSING_TYPE = {
    "M": "Missing: whereabouts not known",
    "A": "Away from placement without authorisation: whereabouts known",
}

CARE_LEAVER_IN_TOUCH = {
    "YES": "In touch",
    "NO": "Not in touch",
    "DIED": "Died",
    "REFU": "Young person refuses contact",
    "NREQ": "Young person no longer requires services",
    "RHOM": "Returned home to parents for more than 6 months",
}

CARE_LEAVER_ACTIVITY = {
    "F1": "Full time in higher education",
    "P1": "Part time in higher education",
    "F2": "Full time in education other than higher education",
    "P2": "Part time in education other than higher education",
    "F4": "Full time in training or employment",
    "P4": "Part time in training or employment",
    "F5": "Full time in apprenticeship",
    "P5": "Part time in apprenticeship",
    "G4": "Not in education, training or employment: illness or disability",
    "G5": "Not in education, training or employment: other reasons",
    "G6": "Not in education, training or employment: pregnancy or parenting",
}

EDUCATION_EMPLOYMENT_TRAINING = frozenset({"F1", "P1", "F2", "P2", "F4", "P4", "F5", "P5"})

# OC3 ACCOM codes: the letter is the type, the digit 1 = suitable, 2 = not suitable.
CARE_LEAVER_ACCOMMODATION = {
    "B": "With parents or relatives",
    "C": "Community home or other form of residential care",
    "D": "Semi-independent, transitional accommodation",
    "E": "Supported lodgings",
    "G": "Gone abroad",
    "H": "Deported",
    "K": "Ordinary lodgings, without formal support",
    "R": "Residence not known",
    "S": "No fixed abode / homeless",
    "T": "Foyers and similar supported accommodation",
    "U": "Independent living",
    "V": "Emergency accommodation",
    "W": "Bed and breakfast",
    "X": "In custody",
    "Y": "Other accommodation",
    "Z": "With former foster carers (staying put)",
}

WORKER_ROLE = {
    "SW": "Qualified social worker holding cases",
    "ASYE": "Newly qualified social worker in the Assessed and Supported Year in Employment",
    "TM": "Team manager",
    "SM": "Senior manager",
    "SSW": "Senior or advanced practitioner",
    "FSW": "Family support worker (unqualified)",
    "OTHER": "Other professional (not in the social work workforce)",
}

CASE_HOLDING_ROLES = frozenset({"SW", "ASYE", "SSW"})

EMPLOYMENT = {"permanent": "Permanent employee", "agency": "Agency worker", "fixed_term": "Fixed-term contract"}

AUDIT_GRADE = {
    "outstanding": "Outstanding",
    "good": "Good",
    "requires_improvement": "Requires improvement",
    "inadequate": "Inadequate",
}

GOOD_OR_BETTER = frozenset({"outstanding", "good"})

ALLOCATION_SERVICE = {
    "front_door": "Front door / MASH",
    "assessment": "Assessment and safeguarding",
    "cin_cp": "Children in need and child protection",
    "children_in_care": "Children in care",
    "disability": "Children with disabilities",
    "care_leavers": "Care leavers",
    "early_help": "Early help",
}

CODES_BY_FIELD: dict[str, dict[str, str]] = {
    "sex": SEX,
    "ethnicity": ETHNICITY,
    "source": REFERRAL_SOURCE,
    "referral_source": REFERRAL_SOURCE,
    "primary_need": PRIMARY_NEED,
    "category_of_need": PRIMARY_NEED,
    "cin_closure_reason": CIN_CLOSURE_REASON,
    "cp_category": CP_CATEGORY,
    "category": CP_CATEGORY,
    "initial_category": CP_CATEGORY,
    "latest_category": CP_CATEGORY,
    "rne": REASON_NEW_EPISODE,
    "reason_new_episode": REASON_NEW_EPISODE,
    "legal_status": LEGAL_STATUS,
    "placement_type": PLACEMENT_TYPE,
    "placement_provider": PLACEMENT_PROVIDER,
    "provider": PLACEMENT_PROVIDER,
    "rec": REASON_CEASED,
    "reason_ceased": REASON_CEASED,
    "missing_type": MISSING_TYPE,
    "in_touch": CARE_LEAVER_IN_TOUCH,
    "activity": CARE_LEAVER_ACTIVITY,
    "accommodation": CARE_LEAVER_ACCOMMODATION,
    "role": WORKER_ROLE,
    "worker_role": WORKER_ROLE,
    "employment": EMPLOYMENT,
    "grade": AUDIT_GRADE,
    "service": ALLOCATION_SERVICE,
}
"""Which code list a column or breakdown of that name holds (canonical columns and the
measures' breakdowns), so pages and reports can name a code wherever it appears."""


def code_name(field: str, code: str) -> str:
    """A coded value of ``field`` with its meaning: a DfE code keeps the code boards know it
    by (``"K2 – Children's home subject to children's homes regulations"``); the canonical
    extract's own words (``front_door``, ``good``) become their meaning alone. Anything that
    is not a code of that field (a team's name, ``Not recorded``) is returned as it is."""
    meaning = CODES_BY_FIELD.get(field, {}).get(code)
    if not meaning:
        return code
    return meaning if code.islower() else f"{code} – {meaning}"
