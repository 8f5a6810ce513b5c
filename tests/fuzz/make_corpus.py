#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/seed-*) from the
project's fixtures (tests/fixtures/compare/*.json, results/examples/) and the small samples below
(real /proc, /sys and /run files of the machines gpuval was developed on, the values the unit
tests use). Inputs of crashes found by fuzzing are kept beside them as crash-* files and never
rewritten. Usage: tests/fuzz/make_corpus.py   (from anywhere; idempotent)"""
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests/fuzz/corpus"
FIXTURES = ROOT / "tests/fixtures/compare"


def seeds(target, items):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    for old in d.glob("seed-*"):
        old.unlink()
    for name, data in items:
        (d / f"seed-{name}").write_bytes(data if isinstance(data, bytes) else data.encode())


def fixture(name):
    """A fixture document, compacted (no indentation: shorter inputs fuzz faster) when it is
    valid JSON, as written otherwise (malformed.json, truncated.json)."""
    raw = (FIXTURES / name).read_bytes()
    try:
        return json.dumps(json.loads(raw), separators=(",", ":"), ensure_ascii=False).encode()
    except ValueError:
        return raw


MINIMAL = json.dumps({
    "schema": "gpuval.run/1", "tool": {"name": "gpuval", "version": "0.1.0"},
    "run": {"id": "r1", "started_at": "2026-10-01T02:13:00Z", "profile": "quick"},
    "host": {"hostname": "node-1"}, "environment": {"mode": "container", "engine": "podman",
                                                    "injection": "cdi"},
    "driver": {"version": "550.54.15"}, "devices": [{"name": "NVIDIA H100", "uuid": "GPU-1"}],
    "checks": [{"id": "shm", "status": "WARN", "message": "small", "hint": "--shm-size=1g"}],
    "benchmarks": [{"id": "stream-triad", "device": 0, "params": {"bytes": 1}, "unit": "GB/s",
                    "samples": [1.0, 2.0, 3.0], "median": 2.0, "peak": 4.0},
                   {"id": "launch-latency", "unit": "us", "samples": [2.1, 2.2, 2.0]}],
    "verdict": {"status": "pass", "exit_code": 0, "summary": "ok"}}, separators=(",", ":"))


DOCS = ["baseline.json", "container_same.json", "container_slower.json", "check_fail.json",
        "noisy.json", "recorded_nogpu_host.json", "recorded_nogpu_container.json",
        "bad_sample.json", "malformed.json", "truncated.json", "missing_checks.json",
        "schema_v2.json"]

UUID = "GPU-8f6c3f2d-5d1b-1c3e-9f2a-6b5a3d2c1e0f"
VISIBLE = ["all", "none", "void", "", "0", "0,1,2,3", " 0 , 1 ", "0,,1,0", UUID, UUID[:12],
           f"0,{UUID},MIG-{UUID[4:]}", f"MIG-{UUID}/1/0", "0:1,1:0", "00000000:3B:00.0",
           "nvidia.com/gpu=all", f"nvidia.com/gpu=0,nvidia.com/gpu={UUID}", "nvidia.com/gpu=gpu0",
           "1,bogus,0", "-1", "ALL,0", "GPU-", "MIG-GPU-"]
CAPS = ["all", "utility,compute", "compute,video,graphics,display,ngx,compat32,utility", "",
        " compute , video,compute,", "compute,cuda,Utility", "utility,all", "COMPUTE", ",,"]

MOUNTINFO_HOST = """22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12335016k,nr_inodes=3083754,mode=755
25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24683792k
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
"""
MOUNTINFO_CONTAINER = """612 547 0:52 / / rw,relatime master:218 - overlay overlay rw,lowerdir=/var/lib/containers/storage/overlay/l/ABC,upperdir=/x/diff,workdir=/x/work
613 612 0:56 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
614 612 0:57 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755,inode64
617 614 0:60 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=64000k,inode64
620 612 0:62 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
631 613 0:70 / /proc/driver/nvidia rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,mode=555,inode64
632 612 254:1 /usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15 /usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15 ro,nosuid,nodev,relatime - ext4 /dev/root rw
633 614 0:5 /nvidia0 /dev/nvidia0 rw,nosuid - devtmpfs udev rw,size=4096k,nr_inodes=1024
634 612 254:1 /srv/with\\040space /mnt/a\\011b rw - ext4 /dev/root rw
"""
CGROUP_V1 = """9:name=systemd:/
8:pids:/
4:memory:/process_api/f1516b9604190a69eea22dd3b494cc4c
2:cpu,cpuacct:/kubepods/burstable/pod1234/abcd
0::/
"""
STATUS = """Name:\tgpuval
Umask:\t0022
State:\tR (running)
Uid:\t1000\t1000\t1000\t1000
CapInh:\t0000000000000000
CapPrm:\t0000000000000000
CapEff:\t000001ffffffffff
CapBnd:\t000001ffffffffff
NoNewPrivs:\t0
Seccomp:\t2
"""
MEMINFO = "MemTotal:       24683792 kB\nMemFree:        22000000 kB\nMemAvailable:   23000000 kB\n"
LIMITS = """Limit                     Soft Limit           Hard Limit           Units
Max stack size            8388608              unlimited            bytes
Max open files            1024                 1024                 files
Max locked memory         8388608              8388608              bytes
"""
UID_ROOTLESS = "         0       1000          1\n         1     100000      65536\n"
UID_IDENTITY = "         0          0 4294967295\n"
CONTAINERENV = 'engine="podman-4.3.1"\nname="gpuval"\nid="f00"\nimage="localhost/gpuval:latest"\nrootless=1\n'
NVRM = ["NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\n"
        "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n",
        "NVRM version: NVIDIA UNIX Open Kernel Module for aarch64  535.104.05  Release Build  "
        "(dvs-builder@U16-I3-B03-4-3)  Tue Aug 22 20:53:04 UTC 2023\n",
        "\nNVRM version: 550.54.15\n"]


def nul(*parts):
    return b"\0".join(p if isinstance(p, bytes) else p.encode() for p in parts)


def main():
    seeds("visible_devices", [(f"{i:02}", v) for i, v in enumerate(VISIBLE)])
    seeds("driver_capabilities", [(f"{i:02}", v) for i, v in enumerate(CAPS)])
    seeds("mountinfo", [("host", MOUNTINFO_HOST), ("podman-legacy-hook", MOUNTINFO_CONTAINER)])
    seeds("cgroup", [("v1-proc-cgroup", nul(CGROUP_V1, "100000")),
                     ("v2-proc-cgroup", nul("0::/user.slice/user-1000.slice/libpod-abc.scope\n")),
                     ("v2-memory-max", "max\n"), ("v2-memory-bytes", "8589934592\n"),
                     ("v2-cpu-max", "200000 100000\n"), ("v2-cpu-max-unlimited", "max 100000\n"),
                     ("v1-cfs", nul("-1\n", "100000\n")), ("v1-limit", "9223372036854771712\n")])
    seeds("proc_status", [("status", STATUS), ("meminfo", MEMINFO), ("limits", LIMITS),
                          ("uid-map-rootless", UID_ROOTLESS), ("uid-map-identity", UID_IDENTITY),
                          ("containerenv", CONTAINERENV), ("tmpfs-size", "65536k"),
                          ("tmpfs-percent", "50%")])
    seeds("driver_version", [(f"nvrm-{i}", v) for i, v in enumerate(NVRM)] +
          [("library", "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15"),
           ("version", "535.104.05"), ("pci", "00000000:3B:00.0")])
    docs = [(name.removesuffix(".json"), fixture(name)) for name in DOCS] + [("minimal", MINIMAL)]
    seeds("run_document", docs)
    seeds("json_differential", docs + [("literals", '[true,false,null,-0,1e-400,"\\ud83d\\ude00"]'),
                                       ("numbers", "[0,-1,18446744073709551615,18446744073709551616,"
                                                   "-9223372036854775808,1.5e308,2.2e-308]")])
    seeds("compare", [("minimal", nul(MINIMAL, MINIMAL.replace("[1.0,2.0,3.0]", "[0.5,0.6,0.7]"))),
                      ("baseline-vs-slower", nul(fixture("baseline.json"), fixture("container_slower.json"))),
                      ("baseline-vs-noisy", nul(fixture("baseline.json"), fixture("noisy.json"))),
                      ("check-fail", nul(fixture("baseline.json"), fixture("check_fail.json"))),
                      ("no-gpu", nul(fixture("recorded_nogpu_host.json"),
                                     fixture("recorded_nogpu_container.json")))])
    seeds("report", [("minimal", nul(MINIMAL, MINIMAL.replace("node-1", "node-2"))),
                     ("three", nul(fixture("baseline.json"), fixture("container_same.json"),
                                   fixture("container_slower.json"))),
                     ("no-gpu", nul(fixture("recorded_nogpu_host.json"), fixture("check_fail.json")))])
    night = [json.loads(fixture("baseline.json"))]
    for k, factor in enumerate([1.0, 1.01, 0.8]):
        doc = json.loads(fixture("baseline.json"))
        doc["run"]["id"] = f"night-{k}"
        doc["run"]["started_at"] = f"2026-10-0{k + 1}T02:00:00Z"
        for b in doc["benchmarks"]:
            b["samples"] = [s * factor for s in b["samples"]]
            b.pop("median", None)
        night.append(doc)
    compact = [json.dumps(d, separators=(",", ":")) for d in night[1:]]
    seeds("nightly", [("two-nights-then-slower", nul(*compact)),
                      ("check-fail-tonight", nul(compact[0], fixture("check_fail.json"))),
                      ("no-gpu", nul(fixture("recorded_nogpu_host.json"), fixture("recorded_nogpu_host.json")))])
    seeds("history_paths", [
        ("plain", nul("gpu-h100-01", "NVIDIA H100 80GB HBM3", "550.54.15", "baremetal",
                      "20261001T021300Z-gpu-h100-01-baremetal", "2026-10-01T02:13:00Z", "median:7")),
        ("container", nul("node-7.example.com", "NVIDIA A100-SXM4-80GB", "535.104.05", "container",
                          "run_A", "2026-10-01T02:13:00.123+02:00", "pinned")),
        ("odd", nul("../..", ".hidden/ev il", "", "container", "..", "1970-01-01t00:00:00z", "median:0"))])
    seeds("checks", [
        ("podman-cdi", nul("container=podman\nNVIDIA_VISIBLE_DEVICES=all\nNVIDIA_DRIVER_CAPABILITIES=compute,utility\n"
                           "NVIDIA_CTK_LIBCUDA_DIR=/usr/lib/x86_64-linux-gnu\nCUDA_VISIBLE_DEVICES=0,1",
                           "/run/.containerenv\n" + CONTAINERENV,
                           "/proc/self/mountinfo\n" + MOUNTINFO_CONTAINER,
                           "/proc/self/cgroup\n0::/\n", "/proc/1/cgroup\n0::/\n",
                           "/proc/self/status\n" + STATUS, "/proc/self/limits\n" + LIMITS,
                           "/proc/self/uid_map\n" + UID_ROOTLESS, "/proc/meminfo\n" + MEMINFO,
                           "/proc/driver/nvidia/version\n" + NVRM[0],
                           "/proc/sys/kernel/cap_last_cap\n40\n",
                           "/sys/fs/cgroup/memory.max\n8589934592\n", "/sys/fs/cgroup/cpu.max\n200000 100000\n",
                           "/dev/nvidia0\n", "/dev/nvidia0.chardev\n195:0", "/dev/nvidiactl\n",
                           "/dev/nvidiactl.chardev\n195:255", "/dev/nvidia-uvm\n", "/dev/nvidia-uvm.chardev\n511:0",
                           "/dev/nvidia0.errno\nEPERM",
                           "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15\n",
                           "/usr/lib/x86_64-linux-gnu/libcuda.so.1\n@symlink libcuda.so.550.54.15",
                           "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1\n@symlink libnvidia-ml.so.535.104.05",
                           "/proc/self/attr/current\nsystem_u:system_r:container_t:s0:c1,c2\n",
                           "/sys/fs/selinux/enforce\n1\n")),
        ("docker-v1", nul("NVIDIA_VISIBLE_DEVICES=GPU-8f6c3f2d\nCUDA_VISIBLE_DEVICES=1,bogus",
                          "/.dockerenv\n", "/proc/self/mountinfo\n" + MOUNTINFO_HOST,
                          "/proc/self/cgroup\n" + CGROUP_V1, "/proc/1/cgroup\n" + CGROUP_V1,
                          "/sys/fs/cgroup/memory/memory.limit_in_bytes\n9223372036854771712\n",
                          "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us\n-1\n",
                          "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us\n100000\n",
                          "/proc/self/uid_map\n" + UID_IDENTITY,
                          "/proc/self/attr/apparmor/current\ndocker-default (enforce)\n")),
        ("bare", nul("KUBERNETES_SERVICE_HOST=10.0.0.1"))])
    probe_ok = {"probe": "cublas", "library": {"name": "cuBLAS", "version": "13.0.2"},
                "device": {"index": 0, "name": "NVIDIA H100"},
                "cases": [{"name": "sgemm", "status": "PASS", "rel_error": 1.2e-7, "tolerance": 1e-5},
                          {"name": "fp8", "status": "SKIP", "reason": "needs sm_89"}]}
    probe_fail = {"probe": "cudnn", "cases": [{"name": "conv", "status": "FAIL", "rel_error": 0.5,
                                               "tolerance": 1e-3, "bad_elements": 12, "elements": 4096,
                                               "first_bad": {"index": 7, "got": 1.0, "expected": 2.0}}]}
    probe_err = {"probe": "cublas", "error": {"call": "cublasCreate", "name": "CUBLAS_STATUS_NOT_INITIALIZED",
                                              "code": 1, "description": "the library was not initialized"}}
    seeds("probe_result", [("ok", json.dumps(probe_ok)), ("fail", json.dumps(probe_fail)),
                           ("error", json.dumps(probe_err)), ("empty", "{}")])


if __name__ == "__main__":
    main()
