"""Validates an OpenAPI document with openapi-spec-validator (PyPI).

Usage: python3 openapi_validate.py DOCUMENT.json
Exits 0 and prints "valid" when the document is a valid OpenAPI 3 document; else the
validator's error, and exits 1.
"""
import json
import sys

from openapi_spec_validator import validate


def main(path):
    with open(path, encoding="utf-8") as f:
        document = json.load(f)
    try:
        validate(document)
    except Exception as error:  # the validator's own error types vary by version
        print(f"invalid: {error}")
        sys.exit(1)
    print("valid")


if __name__ == "__main__":
    main(sys.argv[1])
