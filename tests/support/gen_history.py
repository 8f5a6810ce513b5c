#!/usr/bin/env python3
"""Generate a realistic history of gpuval run documents (gpuval.run/1) for tests and benchmarks.

Nights x hosts x modes documents, each shaped like a real `gpuval run` document (checks, devices
with peaks, benchmarks with samples), values drawn around per-model nominal figures with small
noise, so `gpuval report`, `gpuval history` and the nightly wrapper can be tested without a GPU.
Injected effects make the expected findings known to the test:

  --driver-upgrade NIGHT:VERSION   from night NIGHT (0-based) on, every host runs VERSION
  --regress HOST:BENCH:NIGHT:F     from NIGHT on, HOST's BENCH is multiplied by F (0.85 = -15 %)
  --driver-effect VERSION:BENCH:F  BENCH is multiplied by F on every host running VERSION
  --slow-node HOST:BENCH:F         HOST's BENCH is multiplied by F on every night (fleet outlier)
  --fail-check HOST:CHECK:NIGHT    CHECK fails on HOST that night (verdict fail)
  --container-factor F             container runs are F x bare metal (default 0.995)

BENCH is a benchmark id (all its shapes) or "*". HOST is a generated host name (see --list-hosts)
or "*". Layouts: "flat" (OUT/<host>_<date>_<mode>.json), "host" (what scripts/gpuval-host.sh
writes: OUT/<host>/<stamp>_driver-<v>/{baremetal,podman-cdi}.json) or "history" (a results
history as `gpuval history add` files it: OUT/<host>/<gpu-model>/<driver>/<night>/<mode>/<run-id>.json,
for benchmarks that need a large history without filing it; index it with `gpuval history
reindex`). --first-night skips the nights before it (one more night of an existing history);
--jobs N writes nights in N processes, each night with its own random stream (the same documents
for any N, other than without --jobs).
"""
import argparse
import copy
import re
import datetime as dt
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(HERE, "..", "..", "results", "examples", "no-gpu-dev-sandbox.json")

# name, short, peaks, nominal medians by benchmark id (fraction of peak built in)
MODELS = {
    "h100": {
        "name": "NVIDIA H100 80GB HBM3",
        "peaks": {"dram_gb_s": 3352.3, "fp64_tflops": 33.5, "fp64_tensor_tflops": 66.9,
                  "fp32_tflops": 66.9, "tf32_tflops": 494.7, "fp16_tflops": 989.4,
                  "bf16_tflops": 989.4, "fp8_tflops": 1978.9, "pcie_link_gb_s": 63.0},
        "cc": "9.0", "sms": 132,
        "nominal": {"stream-copy": 3010, "stream-scale": 3005, "stream-add": 3080,
                    "stream-triad": 3085, "stream-dot": 3190, "memcpy-d2d": 2900,
                    "h2d-pinned": 55.1, "d2h-pinned": 55.6, "h2d-pageable": 21.0,
                    "d2h-pageable": 18.5, "bidir-pinned": 101.0, "p2p-write": None,
                    "gemm-fp64": 52.0, "gemm-fp32": 51.0, "gemm-tf32": 378.0,
                    "gemm-fp16": 745.0, "gemm-bf16": 752.0, "gemm-fp8": 1410.0,
                    "cudnn-conv-fwd": 455.0, "launch-latency": 2.1, "roundtrip-latency": 9.8},
    },
    "a100": {
        "name": "NVIDIA A100-SXM4-80GB",
        "peaks": {"dram_gb_s": 2039.0, "fp64_tflops": 9.7, "fp64_tensor_tflops": 19.5,
                  "fp32_tflops": 19.5, "tf32_tflops": 156.0, "fp16_tflops": 312.0,
                  "bf16_tflops": 312.0, "fp8_tflops": None, "pcie_link_gb_s": 31.5},
        "cc": "8.0", "sms": 108,
        "nominal": {"stream-copy": 1820, "stream-scale": 1815, "stream-add": 1860,
                    "stream-triad": 1862, "stream-dot": 1900, "memcpy-d2d": 1700,
                    "h2d-pinned": 26.0, "d2h-pinned": 26.3, "h2d-pageable": 12.0,
                    "d2h-pageable": 11.0, "bidir-pinned": 45.0, "p2p-write": None,
                    "gemm-fp64": 18.9, "gemm-fp32": 19.0, "gemm-tf32": 140.0,
                    "gemm-fp16": 270.0, "gemm-bf16": 272.0, "gemm-fp8": None,
                    "cudnn-conv-fwd": 178.0, "launch-latency": 2.5, "roundtrip-latency": 11.0},
    },
}


def slug(text, keep_case=False):
    """history/layout.cpp's slug() for the short names generated here (no shortening hash)."""
    allowed = "A-Za-z0-9._" if keep_case else "a-z0-9."
    out = re.sub(f"[^{allowed}]+", "-", text if keep_case else text.lower())
    out = out.strip("-.")
    if len(out) > 64:
        sys.exit(f"gen_history: {text!r} is too long for the history layout here")
    return out or "unknown"


def parse_effect(text, parts, name):
    fields = text.split(":")
    if len(fields) != parts:
        sys.exit(f"gen_history: {name} needs {parts} ':'-separated fields, got {text!r}")
    return fields


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--nights", type=int, default=30)
    ap.add_argument("--start", default="2026-10-01", help="first night, YYYY-MM-DD")
    ap.add_argument("--models", default="h100:3,a100:2", help="model:hosts,... (models: h100, a100)")
    ap.add_argument("--driver", default="550.54.15", help="driver on night 0")
    ap.add_argument("--driver-upgrade", action="append", default=[])
    ap.add_argument("--modes", default="baremetal,container")
    ap.add_argument("--regress", action="append", default=[])
    ap.add_argument("--driver-effect", action="append", default=[])
    ap.add_argument("--slow-node", action="append", default=[])
    ap.add_argument("--fail-check", action="append", default=[])
    ap.add_argument("--container-factor", type=float, default=0.995)
    ap.add_argument("--noise", type=float, default=0.003, help="relative stdev of samples")
    ap.add_argument("--samples", type=int, default=5)
    ap.add_argument("--layout", choices=["flat", "host", "history"], default="flat")
    ap.add_argument("--first-night", type=int, default=0, help="write only nights from this one on")
    ap.add_argument("--jobs", type=int, default=0,
                    help="write nights in N processes (each night then has its own random stream)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--list-hosts", action="store_true")
    a = ap.parse_args()

    rng = random.Random(a.seed)
    hosts = []  # (host, model key, uuid)
    for spec in a.models.split(","):
        key, count = spec.split(":")
        if key not in MODELS:
            sys.exit(f"gen_history: unknown model {key!r} (known: {', '.join(MODELS)})")
        for i in range(int(count)):
            host = f"gpu-{key}-{i + 1:02d}"
            hosts.append((host, key, "GPU-%08x-%04x-%04x-%04x-%012x" % (
                rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16),
                rng.getrandbits(16), rng.getrandbits(48))))
    if a.list_hosts:
        print("\n".join(h for h, _, _ in hosts))
        return

    upgrades = sorted((int(n), v) for n, v in (parse_effect(u, 2, "--driver-upgrade") for u in a.driver_upgrade))
    regress = [(h, b, int(n), float(f)) for h, b, n, f in (parse_effect(r, 4, "--regress") for r in a.regress)]
    driver_effect = [(v, b, float(f)) for v, b, f in (parse_effect(r, 3, "--driver-effect") for r in a.driver_effect)]
    slow = [(h, b, float(f)) for h, b, f in (parse_effect(r, 3, "--slow-node") for r in a.slow_node)]
    fails = [(h, c, int(n)) for h, c, n in (parse_effect(r, 3, "--fail-check") for r in a.fail_check)]

    with open(TEMPLATE) as f:
        template = json.load(f)
    known_checks = {c["id"] for c in template["checks"]}
    for _, check, _ in fails:
        if check not in known_checks:
            sys.exit(f"gen_history: --fail-check: unknown check {check!r} (known: {', '.join(sorted(known_checks))})")
    start = dt.datetime.strptime(a.start, "%Y-%m-%d").replace(hour=2, tzinfo=dt.timezone.utc)
    modes = a.modes.split(",")
    os.makedirs(a.out, exist_ok=True)

    def matches(pattern, value):
        return pattern == "*" or pattern == value

    def generate(nights):
        written = 0
        for night in nights:
            written += write_night(night)
        return written

    def write_night(night):
        nonlocal rng
        if a.jobs:  # each night its own stream: the same documents whatever the number of jobs
            rng = random.Random(f"{a.seed}:{night}")
            if night < a.first_night:
                return 0
        written = 0
        skip = night < a.first_night
        driver = a.driver
        for n, v in upgrades:
            if night >= n:
                driver = v
        for host, key, uuid in hosts:
            model = MODELS[key]
            stamp = start + dt.timedelta(days=night, minutes=rng.randrange(0, 50))
            for mode in modes:
                doc = copy.deepcopy(template)
                t0 = stamp + dt.timedelta(minutes=5 if mode == "container" else 0)
                t1 = t0 + dt.timedelta(seconds=95)
                rid = t0.strftime("%Y%m%dT%H%M%SZ") + "-%08x" % rng.getrandbits(32)
                doc["run"].update({"id": rid, "started_at": t0.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                   "finished_at": t1.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                   "duration_s": 95.0, "profile": "quick", "command": "run"})
                doc["host"]["hostname"] = host
                doc["driver"] = {"version": driver, "cuda_driver_version": 13000,
                                 "cuda_runtime_version": 13000}
                if mode == "container":
                    doc["environment"] = {"mode": "container", "engine": "podman", "engine_version": "",
                                          "injection": "cdi", "rootless": False, "privileged": False,
                                          "device_nodes": 3, "nvidia_env": {"NVIDIA_VISIBLE_DEVICES": "all"}}
                else:
                    doc["environment"] = {"mode": "baremetal", "engine": "", "injection": "none",
                                          "device_nodes": 3, "nvidia_env": {}}
                peaks = {k: v for k, v in model["peaks"].items() if k != "pcie_link_gb_s"}
                doc["devices"] = [{"index": 0, "uuid": uuid, "name": model["name"],
                                   "compute_capability": model["cc"], "sm_count": model["sms"],
                                   "peaks": peaks}]
                failed = [c for h, c, n in fails if matches(h, host) and n == night]
                for c in doc["checks"]:
                    if c["id"] in failed:
                        c.update({"status": "FAIL", "message": f"{c['id']} failed (injected)",
                                  "hint": "injected by gen_history.py"})
                    else:
                        c.update({"status": "PASS", "hint": ""})
                    c["message"] = c["message"] if c["status"] == "FAIL" else f"{c['id']} ok"
                for b in doc["benchmarks"]:
                    nominal = model["nominal"].get(b["id"])
                    if nominal is None:
                        b.update({"status": "SKIP", "message": "needs two or more GPUs", "samples": [],
                                  "median": None, "min": None, "max": None, "cv": None,
                                  "fraction_of_peak": None, "peak": None, "verified": False})
                        continue
                    value = nominal * (b["params"].get("k", 8192) / 8192) ** 0.02
                    if mode == "container":
                        value *= a.container_factor
                    for h, bench, n, f in regress:
                        if matches(h, host) and matches(bench, b["id"]) and night >= n:
                            value *= f
                    for v, bench, f in driver_effect:
                        if v == driver and matches(bench, b["id"]):
                            value *= f
                    for h, bench, f in slow:
                        if matches(h, host) and matches(bench, b["id"]):
                            value *= f
                    samples = sorted(round(value * (1 + rng.gauss(0, a.noise)), 4) for _ in range(a.samples))
                    med = samples[len(samples) // 2]
                    mean = sum(samples) / len(samples)
                    sd = (sum((x - mean) ** 2 for x in samples) / max(1, len(samples) - 1)) ** 0.5
                    basis = b["peak_basis"]
                    if b["id"] == "gemm-fp64" and model["peaks"].get("fp64_tensor_tflops"):
                        basis = "fp64_tensor_tflops"  # as the harness: the tensor peak when there is one
                    peak = model["peaks"].get(basis) if basis != "none" else None
                    if peak and b["id"].startswith("bidir"):
                        peak *= 2  # both directions at once
                    b.update({"status": "PASS", "message": "", "samples": samples, "median": med,
                              "min": samples[0], "max": samples[-1], "cv": sd / mean,
                              "peak": peak, "fraction_of_peak": (med / peak) if peak else None,
                              "verified": True,
                              "clocks": {"sm_mhz": [1980] * len(samples), "throttled": False,
                                         "throttled_samples": 0}})
                status = "fail" if failed else "pass"
                doc["verdict"] = {"status": status, "exit_code": 1 if failed else 0,
                                  "summary": (f"{len(failed)} check(s) failed" if failed else "all checks passed"),
                                  "cause": failed[0] if failed else "", "hint": ""}
                if skip:
                    continue
                if a.layout == "flat":
                    path = os.path.join(a.out, f"{host}_{t0:%Y-%m-%d}_{mode}.json")
                elif a.layout == "history":
                    d = os.path.join(a.out, slug(host), slug(model["name"]), slug(driver),
                                     f"{t0:%Y-%m-%d}", "baremetal" if mode == "baremetal" else "podman-cdi")
                    os.makedirs(d, exist_ok=True)
                    path = os.path.join(d, slug(rid, keep_case=True) + ".json")
                else:
                    d = os.path.join(a.out, host, f"{stamp:%Y%m%dT%H%M%SZ}_driver-{driver}")
                    os.makedirs(d, exist_ok=True)
                    path = os.path.join(d, "baremetal.json" if mode == "baremetal" else "podman-cdi.json")
                with open(path, "w") as f:
                    json.dump(doc, f, indent=1)
                written += 1
        return written

    if not a.jobs:
        written = generate(range(a.nights))
    else:
        pids = []
        for j in range(a.jobs):
            pid = os.fork()
            if pid == 0:
                try:
                    generate(n for n in range(a.nights) if n % a.jobs == j)
                finally:
                    os._exit(0)
            pids.append(pid)
        if any(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) != 0 for pid in pids):
            sys.exit("gen_history: a job failed")
        written = sum(len(fs) for _, _, fs in os.walk(a.out))
    print(f"gen_history: wrote {written} documents to {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
