"""Solves a relief-supply transportation problem with networkx's max-flow-min-cost.

Usage: python3 networkx_transport.py INSTANCES.json
INSTANCES.json: a list of {"stock": [units per depot], "need": [units per shelter],
"cost": [[cost per unit or null, one per shelter], one row per depot]}.
Prints one JSON line: a list of {"met": units delivered, "cost": total quantity x cost}.

The formulation is networkx's own: source -> depot (capacity its stock) -> shelter
(cost per unit, where a truck gets through) -> sink (capacity its need), solved as a
maximum flow of minimum cost. riskatlas meets as much need as it can and then
minimises cost with a penalty arc on its network simplex; the two must agree.
"""
import json
import sys

import networkx as nx



def solve(inst):
    graph = nx.DiGraph()
    graph.add_node("source")
    graph.add_node("sink")
    for d, stock in enumerate(inst["stock"]):
        graph.add_edge("source", ("d", d), capacity=stock, weight=0)
    for s, need in enumerate(inst["need"]):
        graph.add_edge(("s", s), "sink", capacity=need, weight=0)
    for d, row in enumerate(inst["cost"]):
        for s, cost in enumerate(row):
            if cost is not None:
                # No capacity: as much as the depot has and the shelter takes.
                graph.add_edge(("d", d), ("s", s), weight=cost)
    flow = nx.max_flow_min_cost(graph, "source", "sink")
    met = sum(flow[("s", s)]["sink"] for s in range(len(inst["need"])))
    return {"met": met, "cost": nx.cost_of_flow(graph, flow)}


print(json.dumps([solve(inst) for inst in json.load(open(sys.argv[1]))]))
