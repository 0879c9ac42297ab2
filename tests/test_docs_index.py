"""The README's documentation list names every document in docs/, and starts with the demo."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_lists_every_document_in_docs():
    readme = (ROOT / "README.md").read_text()
    missing = [p.name for p in sorted((ROOT / "docs").glob("*.md")) if f"(docs/{p.name})" not in readme]
    assert missing == [], f"README.md's Documentation list lacks {missing}"


def test_the_readme_shows_make_demo_then_make_test_first():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    assert commands[:2] == ["make demo", "make test"]
