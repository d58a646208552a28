"""MQTT payload formats: every way a reader publishes a HAN frame gives back the same bytes.

The frame is a vendored reference case (``kaifa_ma304h3e_list3_it_hdlc_built``, values
confirmed by amshan and the source project's test); the wrappers are written here by hand
from the formats' definitions (hex text as amsreader's pass-through publishes it, base64 per
RFC 4648, Node.js's documented ``Buffer.toJSON`` shape), so each test compares the unwrapped
bytes with the captured ones, and the decoded values with the case's confirmed values.
"""

from __future__ import annotations

import base64
import json

import pytest
from han_corpus import BY_NAME, raw

from custom_components.mbus_han.protocol.han import HanReading, HanStreamDecoder
from custom_components.mbus_han.protocol.han.payload import (
    MAX_MESSAGE_BYTES,
    PayloadError,
    PayloadFormat,
    candidates,
    unwrap,
)

CASE = BY_NAME["kaifa_ma304h3e_list3_it_hdlc_built"]
FRAME = raw(CASE)


def _decoded(data: bytes) -> HanReading:
    results = HanStreamDecoder().feed(data)
    readings = [r for r in results if isinstance(r, HanReading)]
    assert len(readings) == 1, results
    return readings[0]


@pytest.mark.parametrize(
    ("payload_format", "payload"),
    [
        (PayloadFormat.RAW, FRAME),
        (PayloadFormat.HEX, FRAME.hex().upper().encode()),  # amsreader pass-through
        (PayloadFormat.HEX, FRAME.hex(" ").encode() + b"\r\n"),  # with spaces, a line end
        (PayloadFormat.JSON, json.dumps({"data": FRAME.hex()}).encode()),
        (PayloadFormat.JSON, json.dumps({"frame": base64.b64encode(FRAME).decode()}).encode()),
        (PayloadFormat.JSON, json.dumps({"type": "Buffer", "data": list(FRAME)}).encode()),
        (
            PayloadFormat.JSON,
            json.dumps({"time": "2020-01-25T14:00:10", "han": {"raw": FRAME.hex()}}).encode(),
        ),
    ],
    ids=["raw", "hex", "hex-spaced", "json-hex", "json-base64", "json-node-buffer", "json-nested"],
)
def test_each_format_gives_back_the_frame_with_its_confirmed_values(payload_format, payload):
    data = unwrap(payload, payload_format)
    assert data == FRAME
    reading = _decoded(data)
    assert reading.meter.meter_id == CASE["expected"]["meter_id"]
    assert reading.values["1-0:1.8.0.255"].value == CASE["expected"]["1-0:1.8.0.255"]
    assert reading.values["1-0:1.7.0.255"].value == CASE["expected"]["1-0:1.7.0.255"]


def test_a_raw_frame_is_only_raw_and_json_is_raw_and_json():
    """Detection tries every format a message fits; a binary frame fits raw alone."""
    assert [f for f, _ in candidates(FRAME)] == [PayloadFormat.RAW]
    assert [f for f, _ in candidates(FRAME.hex().encode())] == [
        PayloadFormat.RAW,
        PayloadFormat.HEX,
    ]
    wrapped = json.dumps({"data": FRAME.hex()}).encode()
    assert dict(candidates(wrapped))[PayloadFormat.JSON] == FRAME


@pytest.mark.parametrize(
    ("payload_format", "payload", "reason"),
    [
        (PayloadFormat.HEX, b"7EA0 zz", "not hexadecimal"),
        (PayloadFormat.HEX, b"7EA", "odd length"),
        (PayloadFormat.HEX, b"", "not hexadecimal"),
        (PayloadFormat.JSON, b"not json", "not JSON"),
        # amsreader's JSON format: decoded values, no frame (lib/JsonMqttHandler)
        (PayloadFormat.JSON, b'{"id": "x", "data": {"P": 4904, "tPI": 79591.144}}', "decoded"),
        (PayloadFormat.JSON, b'{"data": "00112233"}', "decoded"),  # hex, but not a frame
        (PayloadFormat.JSON, b'{"data": [1, 2, 300]}', "decoded"),  # not bytes
        (PayloadFormat.RAW, bytes(MAX_MESSAGE_BYTES + 1), "is not a HAN frame"),
    ],
)
def test_a_message_without_a_frame_in_the_format_says_why(payload_format, payload, reason):
    with pytest.raises(PayloadError, match=reason):
        unwrap(payload, payload_format)


def test_a_stream_split_anywhere_decodes_once():
    """Readers that forward the port's bytes as they come cut frames anywhere."""
    decoder = HanStreamDecoder()
    results = []
    for cut in range(0, len(FRAME), 7):
        results += decoder.feed(unwrap(FRAME[cut : cut + 7], PayloadFormat.RAW))
    readings = [r for r in results if isinstance(r, HanReading)]
    assert len(readings) == 1
    assert readings[0].values["1-0:1.8.0.255"].value == CASE["expected"]["1-0:1.8.0.255"]
