"""The stylesheet parses as its author meant: a block left open swallows every rule after it
(a merge once left one, and the rules below applied on phones only)."""

import re
from pathlib import Path

import gateway

STATIC = Path(gateway.__file__).parent / "static"


def test_every_block_of_every_stylesheet_is_closed() -> None:
    for sheet in STATIC.glob("*.css"):
        text = re.sub(r"/\*.*?\*/", "", sheet.read_text(), flags=re.S)
        text = re.sub(r'"[^"]*"', '""', text)
        depth = 0
        for number, line in enumerate(text.splitlines(), 1):
            depth += line.count("{") - line.count("}")
            assert depth >= 0, f"{sheet.name}:{number} closes a block never opened"
        assert depth == 0, f"{sheet.name}: {depth} block(s) left open"
