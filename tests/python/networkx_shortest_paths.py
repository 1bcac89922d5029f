"""Checks riskatlas's shortest-path lengths against networkx on the same graph.

Usage: python3 networkx_shortest_paths.py EDGES.csv QUERIES.csv
EDGES.csv: from,to,length_m (directed arcs); QUERIES.csv: source,target,length_m (as
riskatlas computed it, "inf" when unreachable). Exits 1 on any difference over 1 mm.
"""
import csv
import math
import sys

import networkx as nx

edges_path, queries_path = sys.argv[1], sys.argv[2]
graph = nx.DiGraph()
with open(edges_path, newline="") as f:
    for row in csv.DictReader(f):
        u, v, w = int(row["from"]), int(row["to"]), float(row["length_m"])
        # Parallel arcs between the same nodes: keep the shorter, as a shortest path would.
        if not graph.has_edge(u, v) or graph[u][v]["weight"] > w:
            graph.add_edge(u, v, weight=w)
bad = 0
checked = 0
with open(queries_path, newline="") as f:
    for row in csv.DictReader(f):
        s, t, ours = int(row["source"]), int(row["target"]), float(row["length_m"])
        try:
            theirs = nx.dijkstra_path_length(graph, s, t, weight="weight")
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            theirs = math.inf
        checked += 1
        if not (math.isinf(ours) and math.isinf(theirs)) and abs(ours - theirs) > 1e-3:
            bad += 1
            print(f"{s} -> {t}: riskatlas {ours} networkx {theirs}")
print(f"networkx: {checked} shortest paths checked, {bad} differ")
sys.exit(1 if bad or checked == 0 else 0)
