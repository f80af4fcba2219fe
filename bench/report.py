#!/usr/bin/python3
"""bench/report.py CONDITIONS RUNS OUTDIR: the report of a bench/compare run.

Reads the conditions (JSON) and the runs (one JSON object per line, each
usock-perf -J result with its round and stack), and writes into OUTDIR:
compare.md (each figure's median and range per stack, its ratio to the
kernel, the goal), compare.json (everything) and the plots latency-cdf.png
and throughput.png.
"""
import json
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Every stack a run may have, in the report's column order, with its column title.
ALL_STACKS = [("kernel", "kernel"), ("usock", "usock (sleeping)"),
              ("usock-busy", "usock (busy polling)"), ("usock-shim", "usock via usock-run"),
              ("usock-dpdk", "usock on DPDK")]
COLOURS = {"kernel": "#888888", "usock": "#3070b0", "usock-busy": "#30a060",
           "usock-shim": "#8050b0", "usock-dpdk": "#c06020"}
# (test, key in the result, label, unit, better: "higher"/"lower")
FIGURES = [
    ("tcp-up", "gbit_s", "TCP bulk, client to server", "Gbit/s", "higher"),
    ("tcp-down", "gbit_s", "TCP bulk, server to client", "Gbit/s", "higher"),
    ("tcp-rr", "p50_us", "TCP ping-pong 64 B, p50", "us", "lower"),
    ("tcp-rr", "p99_us", "TCP ping-pong 64 B, p99", "us", "lower"),
    ("tcp-rr", "p999_us", "TCP ping-pong 64 B, p99.9", "us", "lower"),
    ("udp-rr", "p50_us", "UDP ping-pong 64 B, p50", "us", "lower"),
    ("udp-rr", "p99_us", "UDP ping-pong 64 B, p99", "us", "lower"),
    ("udp-rr", "p999_us", "UDP ping-pong 64 B, p99.9", "us", "lower"),
    ("udp-pps", "pps", "UDP 64 B datagrams received", "packets/s", "higher"),
    ("tcp-crr", "conn_s", "TCP connect, request, response, close", "connections/s", "higher"),
    ("idle", "rss_bytes_per_conn", "Idle connection: client RSS", "bytes", "lower"),
    ("idle", "kernel_slab_bytes_per_conn", "Idle connection: kernel slab growth, both ends'",
     "bytes", "lower"),
    ("idle", "idle_cpu_pct", "CPU of the client process, connections idle", "% of a core", "lower"),
]
GOALS = {
    ("tcp-up", "gbit_s"): "usock >= 1.3x",
    ("tcp-down", "gbit_s"): "usock >= 1.3x",
    ("tcp-rr", "p50_us"): "<= 0.7x, busy <= 0.25x",
    ("udp-rr", "p50_us"): "<= 0.7x, busy <= 0.25x",
    ("tcp-crr", "conn_s"): ">= 3x",
    ("idle", "rss_bytes_per_conn"): "<= 256 bytes",
    ("idle", "idle_cpu_pct"): "< 1% (sleeping)",
}


def fmt(v):
    if v is None:
        return "-"
    if v >= 1000:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"


def main():
    cond_path, runs_path, out = sys.argv[1:4]
    with open(cond_path) as f:
        cond = json.load(f)
    runs = []
    with open(runs_path) as f:
        for line in f:
            line = line.strip()
            if line:
                runs.append(json.loads(line))

    present = {r["mode"] for r in runs}
    stacks = [st for st, _ in ALL_STACKS if st in present]
    titles = dict(ALL_STACKS)

    def values(test, key, stack):
        return [r["result"][key] for r in runs
                if r["mode"] == stack and r["result"].get("test") == test and key in r["result"]]

    failed = [f'{r["mode"]} {r["result"].get("test")} (round {r["round"]})'
              for r in runs if r["result"].get("failed")]
    rows = []
    summary = {}
    for test, key, label, unit, better in FIGURES:
        med = {}
        cells = []
        for st in stacks:
            v = values(test, key, st)
            if not v:
                med[st] = None
                cells.append("-")
                continue
            med[st] = statistics.median(v)
            cell = fmt(med[st])
            if len(v) > 1:
                cell += f" ({fmt(min(v))}-{fmt(max(v))})"
            if st != "kernel" and med.get("kernel"):
                cell += f", **{med[st] / med['kernel']:.2f}x**"
            cells.append(cell)
        if all(m is None for m in med.values()):
            continue
        summary[f"{test}/{key}"] = med
        rows.append(f"| {label} ({unit}, {'higher' if better == 'higher' else 'lower'} is better) | "
                    + " | ".join(cells) + f" | {GOALS.get((test, key), '')} |")

    # The server is the kernel's in every run, so the slab growth of a usock run is the
    # server's share alone; the kernel client's own is what its run adds beyond that.
    rss = summary.get("idle/rss_bytes_per_conn", {})
    slab = summary.get("idle/kernel_slab_bytes_per_conn", {})
    if rss.get("kernel") is not None and slab.get("kernel") is not None and slab.get("usock") is not None:
        own = {st: rss.get(st) for st in stacks}
        own["kernel"] = rss["kernel"] + max(slab["kernel"] - slab["usock"], 0)
        summary["idle/client_bytes_per_conn"] = own
        cells = [fmt(own["kernel"])] + [
            "-" if own.get(st) is None else
            f"{fmt(own[st])}, **{own[st] / own['kernel']:.2f}x**" if own["kernel"] else fmt(own[st])
            for st in stacks[1:]]
        rows.append("| Idle connection: the client's memory, RSS plus its kernel slab "
                    "(bytes, lower is better) | " + " | ".join(cells) + " |  |")

    md = [
        "# usock against the Linux kernel",
        "",
        f"{cond['date']}, `{cond['command']}`: {cond['rounds']} round(s) of "
        f"{cond['seconds_per_test']} s per test, stacks alternating within each round.",
        "",
        f"- kernel {cond['kernel']}, {cond['cpus']} CPU(s): {cond['cpu']}",
        f"- link: a veth pair between two namespaces; offloads {cond['offloads']}",
        f"- congestion control: {cond['congestion_control']}",
        f"- load average before/after: {cond['load_before']} / {cond.get('load_after', '?')}",
        "- client pinned to CPU 0 (usock's service thread with it), the kernel server to CPU 1;",
        "  the server is always the kernel's usock-perf, the client's stack is what differs",
        "",
        "Each cell: the median (the range over rounds), and the ratio to the kernel.",
        "",
        "| figure | " + " | ".join(titles[st] for st in stacks) + " | goal |",
        "| --- " * (len(stacks) + 2) + "|",
    ] + rows
    if failed:
        md += ["", "Runs that failed (no figure): " + ", ".join(failed)]
    md += ["", "![latency CDF](latency-cdf.png)", "", "![throughput](throughput.png)", ""]
    with open(f"{out}/compare.md", "w") as f:
        f.write("\n".join(md))
    with open(f"{out}/compare.json", "w") as f:
        json.dump({"conditions": cond, "medians": summary, "runs": runs}, f, indent=1)

    # Latency CDFs: the quantiles of each stack's last round.
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, test in zip(axes, ["tcp-rr", "udp-rr"]):
        for st in stacks:
            cdf = [r["result"]["cdf_us"] for r in runs
                   if r["mode"] == st and r["result"].get("test") == test and "cdf_us" in r["result"]]
            if cdf:
                q = cdf[-1]
                ax.plot(q, [i / (len(q) - 1) for i in range(len(q))], label=st)
        ax.set_xscale("log")
        ax.set_xlabel("round-trip time (us, log scale)")
        ax.set_ylabel("fraction of transactions")
        ax.set_title(f"{test}: 64-byte ping-pong")
        ax.grid(True, alpha=0.3)
        if ax.lines:
            ax.legend()
    fig.tight_layout()
    fig.savefig(f"{out}/latency-cdf.png", dpi=100)

    # Throughput bars: medians, with the kernel's beside each usock mode.
    bars = [("tcp-up", "gbit_s", "TCP up, Gbit/s"), ("tcp-down", "gbit_s", "TCP down, Gbit/s"),
            ("udp-pps", "pps", "UDP, Mpps"), ("tcp-crr", "conn_s", "TCP CRR, kconn/s")]
    fig, axes = plt.subplots(1, len(bars), figsize=(12, 3.5))
    for ax, (test, key, title) in zip(axes, bars):
        scale = 1e-6 if key == "pps" else 1e-3 if key == "conn_s" else 1
        meds = summary.get(f"{test}/{key}", {})
        ys = [(meds.get(st) or 0) * scale for st in stacks]
        ax.bar(stacks, ys, color=[COLOURS[st] for st in stacks])
        ax.set_title(title)
        ax.tick_params(axis="x", labelrotation=20)
        ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(f"{out}/throughput.png", dpi=100)
    print("\n".join(md[:len(md) - 4]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
