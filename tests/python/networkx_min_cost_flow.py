"""Solves an evacuation assignment as a min-cost flow with networkx, over every pair.

Usage: python3 networkx_min_cost_flow.py INSTANCE.json
INSTANCE.json: {"unplaced_cost": U, "units": [people, ...], "shelters": [room, ...],
"pairs": [[unit, shelter, cost], ...]} (costs in whole seconds). Prints one JSON line:
{"cost": total cost including U per unplaced person, "placed": people placed}.
networkx's network simplex is an implementation independent of riskatlas's.
"""
import json
import sys

import networkx as nx

inst = json.load(open(sys.argv[1]))
graph = nx.DiGraph()
total = sum(inst["units"])
graph.add_node("sink", demand=total)
for u, people in enumerate(inst["units"]):
    graph.add_node(("u", u), demand=-people)
    # The unplaced arc goes through its own node: networkx's DiGraph keeps one arc per
    # pair of nodes, and a unit may also have a shelter at zero cost.
    graph.add_edge(("u", u), ("unplaced", u), capacity=people, weight=inst["unplaced_cost"])
    graph.add_edge(("unplaced", u), "sink", capacity=people, weight=0)
for s, room in enumerate(inst["shelters"]):
    graph.add_edge(("s", s), "sink", capacity=room, weight=0)
for u, s, cost in inst["pairs"]:
    graph.add_edge(("u", u), ("s", s), capacity=inst["units"][u], weight=cost)
cost, flow = nx.network_simplex(graph)
unplaced = sum(flow[("unplaced", u)]["sink"] for u in range(len(inst["units"])))
print(json.dumps({"cost": cost, "placed": total - unplaced}))
