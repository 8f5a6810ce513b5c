#!/usr/bin/env python3
"""Run a command and say what it cost: wall time, CPU time and peak memory (maximum resident set
size of the command, from wait4) and the machine's load average when it started, as one JSON
line appended to --log and a line on stderr.

  measure.py [--log FILE] [--cold PATH]... LABEL -- COMMAND [ARG...]

--cold PATH evicts PATH (a file, or every file under a folder) from the page cache first with
posix_fadvise(DONTNEED), so the command reads from the disk as after a reboot (best effort: pages
still mapped elsewhere stay). Exits with the command's exit code.
"""
import json
import os
import sys
import time


def evict(path):
    files = [path] if os.path.isfile(path) else [
        os.path.join(d, f) for d, _, names in os.walk(path) for f in names]
    for f in files:
        try:
            fd = os.open(f, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(fd)
        except OSError:
            pass
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
    return len(files)


def main():
    args = sys.argv[1:]
    log, cold = None, []
    while args and args[0].startswith("--"):
        if args[0] == "--log":
            log, args = args[1], args[2:]
        elif args[0] == "--cold":
            cold.append(args[1])
            args = args[2:]
        else:
            sys.exit(f"measure.py: unknown option {args[0]}")
    if len(args) < 3 or args[1] != "--":
        sys.exit(__doc__)
    label, command = args[0], args[2:]
    evicted = sum(evict(p) for p in cold)
    load = os.getloadavg()[0]
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - start
    rc = os.waitstatus_to_exitcode(status)
    record = {"label": label, "wall_s": round(wall, 3), "user_s": round(usage.ru_utime, 3),
              "sys_s": round(usage.ru_stime, 3), "max_rss_mib": round(usage.ru_maxrss / 1024, 1),
              "cold": bool(cold), "evicted_files": evicted, "load_average": load, "rc": rc}
    print(f"measure: {label}: {wall:.2f} s wall, {usage.ru_utime + usage.ru_stime:.2f} s CPU, "
          f"{usage.ru_maxrss / 1024:.0f} MiB peak{' (cold)' if cold else ''}, exit {rc} "
          f"(load average {load:.1f})",
          file=sys.stderr)
    if log:
        with open(log, "a") as f:
            f.write(json.dumps(record) + "\n")
    sys.exit(rc)


if __name__ == "__main__":
    main()
