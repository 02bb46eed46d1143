"""The error-code enum and the table in docs/protocol.md stay equal."""

import pathlib
import re

from qvault.native.codes import ErrorCode

PROTOCOL_DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "protocol.md"


def documented_codes() -> dict[int, str]:
    text = PROTOCOL_DOC.read_text(encoding="utf-8")
    table = text.split("## Error codes", 1)[1]
    return {int(code): name for code, name in re.findall(r"^\| (\d+) \| ([A-Z_]+) \|", table, flags=re.MULTILINE)}


def test_doc_table_matches_enum():
    assert documented_codes() == {int(code): code.name for code in ErrorCode}


def test_codes_are_dense_and_start_at_one():
    values = sorted(int(code) for code in ErrorCode)
    assert values == list(range(1, len(values) + 1))
