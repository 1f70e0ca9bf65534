"""The extra CPU of a delivery across nodes, from `bench/cluster.sh`'s paced cost runs.

Each run sends at one fixed rate; `cost-same` has the receivers on the sending node,
`cost-cross` on another. The three nodes' CPU (user + system) per delivered message is
compared run by run; nats-server's is given on its own line, since it is the broker's
work, not a node's. Medians over the runs, and every run's figure beside them.
"""
import json
import statistics
import sys


def per_message_us(rows, label):
    out = []
    for r in rows:
        if r.get("target") != label:
            continue
        if r.get("failure"):
            return None
        cores, rate = r.get("server_cores"), r.get("delivered_per_s")
        if cores is None or not rate:
            return None
        out.append(cores / rate * 1e6)
    return out or None


def main(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    figures = {k: per_message_us(rows, k) for k in ("cost-same", "cost-cross", "cost-same-nats", "cost-cross-nats")}
    if any(v is None for v in figures.values()):
        # The report above lists the failed run; the smoke fails on it there.
        print("Cross-node CPU: FAILED (a cost run failed or reported no CPU)")
        return 0
    same, cross = figures["cost-same"], figures["cost-cross"]
    extra = [c - s for s, c in zip(same, cross)]
    nats = [c - s for s, c in zip(figures["cost-same-nats"], figures["cost-cross-nats"])]
    runs = lambda v: ", ".join(f"{x:.1f}" for x in v)
    print("| CPU per delivery (µs) | median | runs |")
    print("| --- | ---: | --- |")
    print(f"| the nodes, receiver on the sending node | {statistics.median(same):.1f} | {runs(same)} |")
    print(f"| the nodes, receiver on another node | {statistics.median(cross):.1f} | {runs(cross)} |")
    print(f"| **extra across nodes, the nodes** (target ≤ 15) | **{statistics.median(extra):.1f}** | {runs(extra)} |")
    print(f"| extra across nodes, nats-server | {statistics.median(nats):.1f} | {runs(nats)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
