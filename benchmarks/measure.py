"""Measure one child process from the outside: the benchmarks' common stopwatch."""

from __future__ import annotations

import subprocess
import sys


def run_child(args: list[str]) -> tuple[float, float, float]:
    """Wall time (s), CPU time (s, user + system) and peak RSS (MB) of one child process: on a
    shared machine the CPU time is the steadier figure (a server's own CPU is not in it)."""
    code = ("import resource, subprocess, sys, time; start = time.perf_counter(); "
            "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
            "usage = resource.getrusage(resource.RUSAGE_CHILDREN); "
            "print(time.perf_counter() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)")
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True).stdout
    seconds, cpu, peak = out.split()
    return float(seconds), float(cpu), float(peak)
