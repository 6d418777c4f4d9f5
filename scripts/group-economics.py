#!/usr/bin/env python3
"""Per-group economics of `marketsim run --events` runs, from their receipts (receipts.log).

    scripts/group-economics.py COST_FACTOR GROUP_SIZE RUN_DIR...

Identities are numbered group by group at setup (group g holds ids g*GROUP_SIZE ..
(g+1)*GROUP_SIZE when every group has GROUP_SIZE agents and none whitewashes). For each group,
summed over the runs: contracts won and completed, contract value (accepted prices), operator
earnings, the true cost of the completed work (round(COST_FACTOR * budget) per completed
contract, as economics.csv counts it) and the profit (earnings - cost), per agent and per run.
"""
import sys
from collections import defaultdict

cost_factor, size, runs = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
won, completed, value, earnings, cost = (defaultdict(int) for _ in range(5))
for run in runs:
    budget, contract = {}, {}
    for line in open(f"{run}/receipts.log"):
        words = line.split()
        fields = dict(w.split("=", 1) for w in words[3:] if "=" in w)
        kind = words[2]
        if kind == "post":
            budget[fields["task"]] = int(fields["budget"])
        elif kind == "open":
            group = int(fields["agent"]) // size
            contract[fields["contract"]] = (group, budget[fields["task"]])
            won[group] += 1
            value[group] += int(fields["price"])
        elif kind == "complete":
            group, b = contract[fields["contract"]]
            completed[group] += 1
            earnings[group] += int(fields["operator"])
            cost[group] += round(cost_factor * b)
per = size * len(runs)
print("group,won_per_agent,completed_per_agent,value_per_agent,earnings_per_agent,"
      "cost_per_agent,profit_per_agent,margin")
for g in sorted(won):
    profit = earnings[g] - cost[g]
    margin = profit / cost[g] if cost[g] else float("nan")
    print(f"{g},{won[g]/per:.2f},{completed[g]/per:.2f},{value[g]/per:.0f},"
          f"{earnings[g]/per:.0f},{cost[g]/per:.0f},{profit/per:.0f},{margin:.3f}")
