#!/usr/bin/env python3
"""rusage.py OUT COMMAND...: runs COMMAND (its stdin, stdout and stderr are ours) and writes to OUT what its
process took: `wall_us W` (from just before it is started until wait4 returns, so this interpreter's own start is
not in it), `cpu_us U` (user + system CPU from wait4's rusage, in microseconds; /usr/bin/time prints 10 ms steps)
and `maxrss_kib K` (peak resident set). Exits with COMMAND's status."""
import os
import subprocess
import sys
import time

start = time.monotonic_ns()
process = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(process.pid, 0)
wall_us = (time.monotonic_ns() - start) // 1000
with open(sys.argv[1], "w") as out:
    out.write(f"wall_us {wall_us}\ncpu_us {round((usage.ru_utime + usage.ru_stime) * 1e6)}\n"
              f"maxrss_kib {usage.ru_maxrss}\n")
sys.exit(os.waitstatus_to_exitcode(status))
