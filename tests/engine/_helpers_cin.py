"""A CIN census XML document for tests, in DfE's layout, with one child."""

from __future__ import annotations


def census(*, reference: str, year: str, details: str | list[str]) -> bytes:
    """One child (C1) with a CINdetails block per ``details`` (each the inner XML)."""
    blocks = [details] if isinstance(details, str) else details
    episodes = "".join(f"<CINdetails>{block}</CINdetails>" for block in blocks)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Message>
<Header><CollectionDetails><Collection>CIN</Collection><Year>{year}</Year>
<ReferenceDate>{reference}</ReferenceDate></CollectionDetails>
<Source><SourceLevel>L</SourceLevel><LEA>812</LEA></Source></Header>
<Children><Child>
<ChildIdentifiers><LAchildID>C1</LAchildID><PersonBirthDate>2015-01-01</PersonBirthDate><Sex>M</Sex></ChildIdentifiers>
<ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>
{episodes}
</Child></Children>
</Message>
""".encode()
