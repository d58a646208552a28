"""HDLC segment reassembly after a damaged segment (issue 12 item 8).

UI frames carry no sequence number (IEC 62056-46 6.4.3.4): a damaged segment is seen only as a
frame that failed its check sequence. The message it belonged to must be dropped whole, as the
M-Bus reassembler drops a "segment without its predecessors"; joining the rest would splice two
halves, or let a message's tail swallow the next intact frame. Input: the corpus's Aidon 6525
hourly list (values asserted by amshan's own test) cut into three segments.
"""

from han_corpus import BY_NAME, expected_values, raw

from custom_components.mbus_han.protocol.han.decoder import HanStreamDecoder
from custom_components.mbus_han.protocol.han.hdlc import encode_hdlc_frame, parse_hdlc_frame

CASE = BY_NAME["aidon_6525_list3_3wire_it_hdlc_built"]
INTACT = raw(CASE)


def _segments() -> list[bytes]:
    info = parse_hdlc_frame(INTACT).information
    parts = [info[:100], info[100:250], info[250:]]
    return [
        encode_hdlc_frame(part, segmented=index < len(parts) - 1)
        for index, part in enumerate(parts)
    ]


def _damaged(frame: bytes) -> bytes:
    """The frame with one information byte flipped: its FCS no longer holds."""
    middle = len(frame) // 2
    return frame[:middle] + bytes((frame[middle] ^ 0x01,)) + frame[middle + 1 :]


def _values(results: list) -> list[dict]:
    return [{code: value.value for code, value in r.values.items()} for r in results]


def test_intact_segments_decode() -> None:
    decoder = HanStreamDecoder()
    assert _values(decoder.feed(b"".join(_segments()))) == [expected_values(CASE)]


def test_damaged_middle_segment_drops_the_message_without_a_splice() -> None:
    first, middle, last = _segments()
    decoder = HanStreamDecoder()
    results = decoder.feed(first + _damaged(middle) + last)
    # Old code joined segments 1 and 3 into an undecodable splice; now nothing comes out.
    assert results == []
    stats = decoder.stats
    assert stats.bad_frames == 1
    assert stats.undecodable == 0
    # and the next push decodes as usual
    assert _values(decoder.feed(INTACT)) == [expected_values(CASE)]


def test_damaged_last_segment_does_not_swallow_the_next_intact_frame() -> None:
    first, middle, last = _segments()
    decoder = HanStreamDecoder()
    results = decoder.feed(first + middle + _damaged(last) + INTACT)
    # Old code appended the intact frame to segments 1-2 as if it were their tail.
    assert _values(results) == [expected_values(CASE)]
    assert decoder.stats.bad_frames == 1


def test_damaged_first_segment_drops_its_orphaned_tail() -> None:
    first, middle, last = _segments()
    decoder = HanStreamDecoder()
    results = decoder.feed(_damaged(first) + middle + last + INTACT)
    assert _values(results) == [expected_values(CASE)]


def test_reset_forgets_a_partial_message() -> None:
    first, middle, _last = _segments()
    decoder = HanStreamDecoder()
    assert decoder.feed(first + middle) == []
    decoder.reset()  # the line was silent longer than any push takes
    assert _values(decoder.feed(INTACT)) == [expected_values(CASE)]
