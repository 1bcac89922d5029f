"""Queries an OGC API - Features server with OWSLib (`owslib.ogcapi.features`), the
client QGIS-side Python tools and many scripts use.

Usage: python3 owslib_read.py URL COLLECTION QUERY_JSON
QUERY_JSON holds collection_items keyword arguments ({"bbox": [w, s, e, n], "limit":
1000, "severity": "4"}). Prints one JSON object: the collection ids the server lists,
and for the query its numberMatched and the ids of the features returned, in order.
"""
import json
import sys

from owslib.ogcapi.features import Features


def main(url, collection, query):
    api = Features(url)
    ids = [c["id"] for c in api.collections()["collections"]]
    items = api.collection_items(collection, **json.loads(query))
    json.dump(
        {
            "collections": ids,
            "numberMatched": items.get("numberMatched"),
            "ids": [f["id"] for f in items["features"]],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
