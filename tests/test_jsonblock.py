"""Fence-aware extraction of the DoD packet (or verdict) from an agent's final message."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from workorder.presets.jsonblock import extract_json_object, fenced_blocks

F = "```"
PACKET = {"status": "done", "summary": "Added subtract.", "files_changed": ["calc/ops.py"]}
PACKET_BLOCK = f"{F}json\n{json.dumps(PACKET, indent=2)}\n{F}\n"
SEARCH_REPLACE = (f"calc/ops.py\n{F}python\n<<<<<<< SEARCH\n    return a + b\n=======\n    return a + b\n\n\n"
                  f"def subtract(a, b):\n    return a - b\n>>>>>>> REPLACE\n{F}\n")
WHOLE_FILE = f"tests/test_subtract.py\n{F}\nimport unittest\n\n\nclass T(unittest.TestCase):\n    pass\n{F}\n"
OLD = {"status": "blocked", "summary": "first try"}

CASES = [
    ("bare object", json.dumps(PACKET), PACKET),
    ("only a json block", "Done.\n\n" + PACKET_BLOCK, PACKET),
    ("json block after one SEARCH/REPLACE block", "I changed it.\n\n" + SEARCH_REPLACE + "\nPacket:\n\n" + PACKET_BLOCK,
     PACKET),
    ("json block after three SEARCH/REPLACE blocks", (SEARCH_REPLACE + "\n") * 3 + PACKET_BLOCK, PACKET),
    ("json block right after a closing fence", SEARCH_REPLACE + PACKET_BLOCK, PACKET),
    ("whole-file edit format, then the packet", WHOLE_FILE + "\nDoD packet:\n" + PACKET_BLOCK, PACKET),
    ("untagged block", f"{F}\n{json.dumps(PACKET)}\n{F}\n", PACKET),
    ("upper-case tag", f"{F}JSON\n{json.dumps(PACKET)}\n{F}\n", PACKET),
    ("tilde fence", f"~~~json\n{json.dumps(PACKET)}\n~~~\n", PACKET),
    ("the last of two packets wins", f"{F}json\n{json.dumps(OLD)}\n{F}\n\nBetter:\n\n" + PACKET_BLOCK, PACKET),
    ("a later json block without the key is skipped", PACKET_BLOCK + f"\n{F}json\n{{\"other\": 1}}\n{F}\n", PACKET),
    ("packet inside a list item", "1. Packet:\n\n   " + PACKET_BLOCK.replace("\n", "\n   "), PACKET),
    ("4-backtick fence around 3-backtick ones, then the packet",
     f"README.md\n````markdown\nExample:\n{F}json\n{json.dumps(OLD)}\n{F}\n````\n\n" + PACKET_BLOCK, PACKET),
    ("a packet only inside a nested fence is file content", f"````markdown\n{F}json\n{json.dumps(OLD)}\n{F}\n````\n",
     None),
    ("a python block holding JSON is not a packet", f"{F}python\n{json.dumps(PACKET)}\n{F}\n", None),
    ("a shorter fence does not close a longer one", f"````\n{F}\n{json.dumps(OLD)}\n````\n" + PACKET_BLOCK, PACKET),
    ("unclosed fence runs to the end", f"{F}python\nx = 1\n\n" + PACKET_BLOCK, None),
    ("invalid JSON", f"{F}json\n{{\"status\": \"done\",}}\n{F}\n", None),
    ("a JSON list is not an object", f"{F}json\n[{json.dumps(PACKET)}]\n{F}\n", None),
    ("no fences, prose only", "I could not finish.", None),
    ("empty", "", None),
]


@pytest.mark.parametrize(("message", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_extract_json_object(message, expected):
    found = extract_json_object(message, "status")
    assert (json.loads(found) if found else None) == expected


def test_none_message_and_other_required_key():
    assert extract_json_object(None, "status") is None
    verdict = {"verdict": "PASS", "findings": []}
    message = SEARCH_REPLACE + PACKET_BLOCK + f"{F}json\n{json.dumps(verdict)}\n{F}\n"
    assert json.loads(extract_json_object(message, "verdict")) == verdict
    assert json.loads(extract_json_object(message, "status")) == PACKET


def test_fenced_blocks_pairs_fences_like_commonmark():
    blocks = fenced_blocks(SEARCH_REPLACE + "\n" + WHOLE_FILE + PACKET_BLOCK)
    assert [info for info, _ in blocks] == ["python", "", "json"]
    assert blocks[0][1].startswith("<<<<<<< SEARCH") and blocks[0][1].endswith(">>>>>>> REPLACE\n")


# -- property: a packet block after any number of other blocks is found -------------------------
_WORDS = st.text(alphabet="abcdefghij klmnop.,:;()=+-_/\"'{}[]0123456789", min_size=0, max_size=30)
_LINES = st.lists(_WORDS.map(str.strip).filter(lambda s: not s.startswith(("<", ">", "=", "-", "+"))),
                  min_size=0, max_size=4)
_INFO = st.sampled_from(["", "python", "diff", "json", "text", "sh"])


@st.composite
def other_block(draw) -> str:
    """Prose, a fenced block (3 to 5 backticks, maybe holding shorter fences), an aider SEARCH/REPLACE
    block, a whole-file block, or an older JSON block with the key."""
    kind = draw(st.sampled_from(["prose", "fence", "nested", "search_replace", "whole", "old_packet"]))
    body = "\n".join(draw(_LINES))
    if kind == "prose":
        return (body or "Some prose.") + "\n"
    if kind == "fence":
        fence = "`" * draw(st.integers(3, 5))
        return f"{fence}{draw(_INFO)}\n{body}\n{fence}\n"
    if kind == "nested":
        return f"````{draw(_INFO)}\n{body}\n{F}json\n{json.dumps(OLD)}\n{F}\n````\n"
    if kind == "search_replace":
        return f"calc/ops.py\n{F}python\n<<<<<<< SEARCH\n{body}\n=======\n{body}x\n>>>>>>> REPLACE\n{F}\n"
    if kind == "whole":
        return f"calc/x.py\n{F}\n{body}\n{F}\n"
    return f"{F}json\n{json.dumps(OLD)}\n{F}\n"


@seed(20261122)
@settings(max_examples=200, deadline=None)
@given(before=st.lists(other_block(), max_size=6), after=_LINES,
       packet=st.fixed_dictionaries({"status": st.sampled_from(["done", "blocked", "question"]), "summary": _WORDS}))
def test_the_last_packet_block_is_found_after_any_other_blocks(before, after, packet):
    closing = "\n".join(line for line in after if line)  # prose after the packet, no fences
    message = "\n".join([*before, f"{F}json\n{json.dumps(packet)}\n{F}", closing])
    assert json.loads(extract_json_object(message, "status")) == packet
