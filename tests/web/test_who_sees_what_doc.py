"""docs/web.md's "Who sees what" table says exactly what ``accounts/roles.py`` grants."""

from pathlib import Path

from journey.web.accounts.roles import CAPABILITIES, ROLE_LABELS, Capability, Role

DOC = Path(__file__).resolve().parents[2] / "docs" / "web.md"

# The table's column headings, in the order of ``Role``.
HEADINGS = {
    "performance and data team": Role.DATA_TEAM,
    "service lead": Role.SERVICE_LEAD,
    "team manager": Role.TEAM_MANAGER,
    "director": Role.DIRECTOR,
    "board member": Role.BOARD_MEMBER,
    "scrutiny councillor": Role.SCRUTINY,
    "administrator": Role.ADMINISTRATOR,
}


def _table() -> dict[Capability, set[Role]]:
    section = DOC.read_text().split("## Who sees what", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    roles = [HEADINGS[h] for h in header[1:]]
    table: dict[Capability, set[Role]] = {}
    for line in rows[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        capability = Capability(cells[0].split("`")[1])
        assert capability not in table, f"{capability} is in the table twice"
        assert set(cells[1:]) <= {"yes", "–"}, line
        table[capability] = {role for role, cell in zip(roles, cells[1:], strict=True) if cell == "yes"}
    return table


def test_the_table_has_a_column_for_every_role_and_a_row_for_every_capability():
    table = _table()
    assert set(table) == set(Capability)
    assert set(HEADINGS.values()) == set(Role) == set(ROLE_LABELS)


def test_each_role_has_in_the_table_exactly_the_capabilities_the_code_gives_it():
    table = _table()
    for role in Role:
        documented = {capability for capability, holders in table.items() if role in holders}
        assert documented == set(CAPABILITIES[role]), role
