"""Every error at the command line is one line naming the file or port and what to do, with
the documented exit code (0 done, 1 an error, 2 usage or a broken input file, 3 the band or
its link, 130 interrupted) - never a traceback. Includes the fuzz run: malformed traces and
labels through the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPBAND = str(Path(sys.executable).with_name("repband"))


def test_ctrl_c_at_any_moment_of_a_command_is_one_line(tmp_path: Path) -> None:
    trace = tmp_path / "t.csv"
    trace.write_text("# sample_rate_hz: 50\nt_ms,ax,ay,az\n"
                     + "".join(f"{20 * i},0,0,1\n" for i in range(3000)))
    results = []
    for k in range(20):
        proc = subprocess.Popen([REPBAND, "replay", str(trace)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(k * 0.012)  # from the first milliseconds to well into the command
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        results.append((proc.returncode, err))
    # Python's own start-up (its site module, before any repband code runs) dies with a fatal
    # error of its own when interrupted: counted apart, nothing repband can catch
    startup = [err for _, err in results if "Traceback" in err and "host_tools" not in err
               and "bin/repband" not in err]
    tracebacks = [err for _, err in results if err not in startup
                  and ("Traceback" in err or err.count("\n") > 1)]
    interrupted = sum(1 for code, _ in results if code in (130, -signal.SIGINT))
    print(f"Ctrl-C at 20 moments of 0-230 ms: {len(tracebacks)} tracebacks from repband, "
          f"{len(startup)} in Python's start-up before repband, {interrupted} interrupted")
    assert not tracebacks, tracebacks[0]
