"""The counter allocates nothing per sample on MicroPython (measured, with reps happening)."""

from host_tools.sim.bench import cpython_speed, micropython_figures
from host_tools.sim.bench_traces import sine_trace


def test_no_heap_allocation_per_sample_on_micropython():
    figures = micropython_figures(sine_trace())
    assert figures["steady_state_reps"] >= 10  # the measured stretch includes rep events
    assert figures["heap_bytes_per_sample"] == 0, figures
    assert figures["heap_locked_run_ok"], "the counter allocated under micropython.heap_lock()"
    assert 0 < figures["counter_heap_bytes"] < 8 * 1024  # it fits beside the app


def test_no_heap_allocation_on_a_real_recording(shared_traces):
    from host_tools.traces.traceio import read_trace

    figures = micropython_figures(read_trace(shared_traces / "mex-clam" / "s01-04_act_2.csv"))
    assert figures["steady_state_reps"] > 0
    assert figures["heap_bytes_per_sample"] == 0 and figures["heap_locked_run_ok"], figures


def test_cpython_speed_is_reported():
    speed = cpython_speed([])
    assert speed["traces"] == 1 and speed["replay_x_real_time"] > 0


def test_the_mounting_estimator_allocates_nothing_per_sample_solving_included() -> None:
    from host_tools.sim import bench

    got = bench.mount_figures()
    assert got["mount_sure"]  # (so the run went through the solving too)
    assert got["mount_heap_bytes_per_sample"] == 0 and got["mount_heap_locked_run_ok"]
