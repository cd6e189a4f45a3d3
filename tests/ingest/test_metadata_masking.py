"""Sample failures keep a quarantined row as delivered, for the event log: every value the
contract does not declare public or internal is masked, nested drivers included."""

from __future__ import annotations

import json

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.lib.ingest.masking import MASK, masked_original

ACCIDENTS = FEED_CONTRACTS[("traffic_police", "traffic_accidents")]
ENTERPRISES = FEED_CONTRACTS[("emergency_management", "enterprises")]


def test_nested_drivers_masked_and_the_rest_shown() -> None:
    driver = {"name": "陶华", "idNo": "510181196002279975", "phone": "15051344936"}
    delivered = {
        "accidentId": "SG2026100400006",
        "injuries": "-3",
        "secretNote": "张三 13800000000",  # no contract declares it
        "vehicles": [{"plateNo": "川AV5982", "vehicleType": "小型普通客车", "driver": driver}],
    }
    for vehicles in (delivered["vehicles"], json.dumps(delivered["vehicles"])):  # list or text
        shown = masked_original(ACCIDENTS, json.dumps({**delivered, "vehicles": vehicles}))
        assert shown is not None
        assert not any(value in shown for value in (*driver.values(), "张三", "13800000000"))
        masked = json.loads(shown)
        assert masked["accidentId"] == "SG2026100400006" and masked["injuries"] == "-3"
        assert masked["secretNote"] == MASK
        (vehicle,) = masked["vehicles"]
        assert vehicle["plateNo"] == "川AV5982" and vehicle["vehicleType"] == "小型普通客车"
        assert vehicle["driver"] == {"name": MASK, "idNo": MASK, "phone": MASK}


def test_top_level_personal_columns_and_raw_lines() -> None:
    personal = [f for f in ENTERPRISES.fields if f.classification in ("personal", "sensitive")]
    assert personal
    delivered = {name: "510181196002279975" for f in personal for name in f.source_columns}
    shown = masked_original(ENTERPRISES, json.dumps(delivered))
    assert shown is not None and "510181196002279975" not in shown
    line = "91510100MA6C,成都某某公司,陶华,510181196002279975"
    assert (
        masked_original(ENTERPRISES, line)
        == f"{MASK} (a raw line of {len(line)} characters, not shown)"
    )
    assert masked_original(ENTERPRISES, None) is None
