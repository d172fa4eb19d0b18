"""Text from pgAgent's tables is decoded value by value and cut on character boundaries."""

from hypothesis import given
from hypothesis import strategies as st

from pgagent_live.pgagent.text import decode
from pgagent_live.watch.events import excerpt, first_line


def test_valid_utf8_is_taken_as_is() -> None:
    assert decode("déjà".encode()) == "déjà"
    assert decode("déjà") == "déjà"
    assert decode(None) == ""


def test_other_bytes_are_read_as_windows_1252() -> None:
    assert decode(b"caf\xe9 \x80") == "café €"


def test_bytes_windows_1252_leaves_undefined_become_replacement_characters() -> None:
    assert decode(b"a\x81b") == "a\ufffdb"


@given(st.binary(max_size=200))
def test_any_bytes_decode_to_text_that_encodes_as_utf8(data: bytes) -> None:
    decode(data).encode("utf-8")


@given(st.text(max_size=300), st.integers(min_value=0, max_value=400))
def test_an_excerpt_is_a_bounded_prefix(text: str, limit: int) -> None:
    cut = excerpt(text, limit)

    assert len(cut.encode("utf-8", "replace")) <= limit
    assert text.startswith(cut)


def test_an_excerpt_never_splits_a_character() -> None:
    assert excerpt("ééé", 5) == "éé"


def test_first_line_skips_blank_lines() -> None:
    assert first_line("\n  \nERROR: boom\nmore") == "ERROR: boom"
