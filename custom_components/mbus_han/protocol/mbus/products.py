"""Product names from what a meter's header says: manufacturer, version, medium, ID.

A header names no product, only a maker's code, a version byte and a medium. Users know their
meter as "Kamstrup Multical 601", not as "heat meter version 8", so the device registry shows
the product where the combination is known. The table is libmbus's ``mbus_data_product_name``
(rscada/libmbus, ``mbus/mbus-protocol.c``, BSD licence, (c) Raditex Control AB, see
THIRD_PARTY_NOTICES.md), the only published mapping of these bytes we know of; an entry is
added here only with such a source. Unknown combinations fall back to the medium and version.
"""

from __future__ import annotations

from .model import Header, Medium

# (manufacturer, version) -> product, for makers whose version byte alone names the product.
_BY_VERSION: dict[tuple[str, int], str] = {
    ("ABB", 0x02): "ABB Delta-Meter",
    ("ABB", 0x20): "ABB B21 113-100",
    ("ACW", 0x09): "Itron CF Echo 2",
    ("ACW", 0x0A): "Itron CF 51",
    ("ACW", 0x0B): "Itron CF 55",
    ("ACW", 0x0E): "Itron BM +m",
    ("ACW", 0x0F): "Itron CF 800",
    ("ACW", 0x14): "Itron CYBLE M-Bus 1.4",
    ("EFE", 0x01): "Engelmann SensoStar 2C",
    ("ELS", 0x02): "Elster TMP-A",
    ("ELS", 0x0A): "Elster Falcon",
    ("ELS", 0x2F): "Elster F96 Plus",
    **{("ELV", version): "Elvaco CMa10" for version in range(0x14, 0x1E)},
    **{("ELV", version): "Elvaco CMa11" for version in range(0x32, 0x3C)},
    ("EMH", 0x00): "EMH DIZ",
    ("GMC", 0xE6): "GMC-I A230 EMMOD 206",
    ("HYD", 0x28): "ABB F95 Typ US770",
    ("HYD", 0x2F): "Hydrometer Sharky 775",
    ("KAM", 0x01): "Kamstrup 382 (6850-005)",
    ("KAM", 0x08): "Kamstrup Multical 601",
    ("LSE", 0x99): "Siemens WFH21",
    ("LUG", 0x02): "Landis+Gyr Ultraheat 2WR5",
    ("LUG", 0x03): "Landis+Gyr Ultraheat 2WR6",
    ("LUG", 0x04): "Landis+Gyr Ultraheat UH50",
    ("LUG", 0x07): "Landis+Gyr Ultraheat T230",
    ("NZR", 0x01): "NZR DHZ 5/63",
    ("NZR", 0x50): "NZR IC-M2",
    ("RAM", 0x03): "Rossweiner ETK/ETW Modularis",
    ("REL", 0x08): "Relay PadPuls M1",
    ("REL", 0x12): "Relay PadPuls M4",
    ("REL", 0x20): "Relay Padin 4",
    ("REL", 0x30): "Relay AnDi 4",
    ("REL", 0x40): "Relay PadPuls M2",
    ("RKE", 0x69): "Ista sensonic II mbus",
    ("SEN", 0x08): "Sensus PolluCom E",
    ("SEN", 0x19): "Sensus PolluCom E",
    ("SEN", 0x0B): "Sensus PolluTherm",
    ("SEN", 0x0E): "Sensus PolluStat E",
    ("SLB", 0x02): "Allmess Megacontrol CF-50",
    ("SLB", 0x06): "CF Compact / Integral MK MaXX",
    ("SON", 0x0D): "Sontex Supercal 531",
    ("SPX", 0x31): "Sensus PolluTherm",
    ("SPX", 0x34): "Sensus PolluTherm",
    ("SVM", 0x08): "Elster F2 / Deltamess F2",
    ("SVM", 0x09): "Elster F4 / Kamstrup SVM F22",
    ("TCH", 0x26): "Techem m-bus S",
    ("TCH", 0x40): "Techem ultra S3",
    ("WZG", 0x03): "Modularis ETW-EAX",
    ("ZRM", 0x81): "Minol Minocal C2",
    ("ZRM", 0x82): "Minol Minocal WR3",
}

# (manufacturer, version, medium) -> product, for makers that reuse version bytes per medium.
_BY_VERSION_AND_MEDIUM: dict[tuple[str, int, int], str] = {
    ("BEC", 0x00, Medium.ELECTRICITY): "Berg DCMi",
    ("BEC", 0x07, Medium.ELECTRICITY): "Berg BLMi",
    ("BEC", 0x71, Medium.UNKNOWN): "Berg BMB-10S0",
    ("EFE", 0x00, Medium.WARM_WATER): "Engelmann WaterStar",
    ("EMU", 0x10, Medium.ELECTRICITY): "EMU Professional 3/75 M-Bus",
    **{("GAV", v, Medium.ELECTRICITY): "Carlo Gavazzi EM24" for v in (0x2D, 0x2E, 0x2F, 0x30)},
    ("GAV", 0x39, Medium.ELECTRICITY): "Carlo Gavazzi EM21",
    ("GAV", 0x3A, Medium.ELECTRICITY): "Carlo Gavazzi EM21",
    ("GAV", 0x40, Medium.ELECTRICITY): "Carlo Gavazzi EM33",
    ("JAN", 0x09, Medium.ELECTRICITY): "Janitza UMG 96S",
}

# Makers that code the product in the first two digits of the identification number.
_SENSOCO: dict[str, str] = {
    "30": "Sensoco PT100",
    "41": "Sensoco 2-NTC",
    "45": "Sensoco Laser Light",
    "48": "Sensoco ADIO",
    "51": "Sensoco THU",
    "61": "Sensoco THU",
    "80": "Sensoco PulseCounter for E-Meter",
}
_BY_ID_PREFIX: dict[str, dict[str, str]] = {
    "SBC": {"10": "Saia-Burgess ALE3", "19": "Saia-Burgess ALE3", "11": "Saia-Burgess AWD3"},
    "SEO": _SENSOCO,
    "GTE": _SENSOCO,
}


def _aquametro(version: int) -> str:
    """Aquametro codes the product family in the version's top bits."""
    if version >= 0xC0:
        return "Aquametro CALEC ST"
    if version >= 0x80:
        return "Aquametro CALEC MB"
    if version >= 0x40:
        return "Aquametro SAPHIR"
    return "Aquametro AMTRON"


def product_name(header: Header) -> str | None:
    """The product the header identifies, or None when the combination is not known."""
    manufacturer, version = header.manufacturer, header.version
    if manufacturer is None or version is None:
        return None
    if manufacturer in _BY_ID_PREFIX:
        return _BY_ID_PREFIX[manufacturer].get((header.id_text or "")[:2])
    if manufacturer == "AMT":
        return _aquametro(version)
    if header.medium_code is not None:
        by_medium = _BY_VERSION_AND_MEDIUM.get((manufacturer, version, header.medium_code))
        if by_medium is not None:
            return by_medium
    if manufacturer == "EFE" and version == 0x00:
        return "Engelmann / Elster SensoStar 2"
    return _BY_VERSION.get((manufacturer, version))


def model_text(header: Header) -> str:
    """What the device registry shows as the model: the product, else medium and version."""
    product = product_name(header)
    if product is not None:
        return product
    # "Heat meter", not "Heat outlet meter": the outlet is where a heat meter usually sits.
    medium = "M-Bus"
    if header.medium is not None:
        medium = header.medium.name.lower().replace("_outlet", "").replace("_", " ")
    kind = f"{medium[0].upper()}{medium[1:]} meter"
    return kind if header.version is None else f"{kind} (version {header.version})"
