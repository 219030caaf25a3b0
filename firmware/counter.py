# Streaming rep counter for clamshells and side-lying leg lifts; the same source runs on the band
# (MicroPython) and on the host (CPython replay). Integer arithmetic only: nothing allocates per sample.
#
# API (stable; the app, replay, the virtual band and the benchmarks rely on it):
#   c = Counter(sample_rate_hz, axes_known=True, mode=AUTO)
#   ev = c.feed(t_ms, ax_mg, ay_mg, az_mg, gx_dds, gy_dds, gz_dds)   # ints; gyro in 0.1 deg/s, 0 if none
#   ev |= c.finish(t_ms)                                              # end of data: close an open set
#   if ev & EV_REP: c.rep_t_ms, c.rep_exercise, c.rep_rom_cdeg, c.rep_duration_ms, c.set_reps
#   if ev & EV_SET: c.set_start_ms, c.set_end_ms, c.set_reps, c.set_exercise
# Accelerations are in the band frame when axes_known (x toward the knee, z out of the skin).
# (Placeholder algorithm: being replaced by the real one; the API stays.)
try:
    from micropython import const
except ImportError:  # CPython
    def const(x):
        return x

AUTO = const(0)
CLAMSHELL = const(1)
LEG_LIFT = const(2)
EXERCISE_NAMES = ("auto", "clamshell", "leg_lift")

EV_REP = const(1)
EV_SET = const(2)


class Counter:
    def __init__(self, sample_rate_hz, axes_known=True, mode=AUTO):
        self.sample_rate_hz = sample_rate_hz
        self.axes_known = axes_known
        self.mode = mode
        self.reset()

    def reset(self):
        self.rep_t_ms = 0
        self.rep_exercise = 0
        self.rep_rom_cdeg = 0
        self.rep_duration_ms = 0
        self.set_start_ms = 0
        self.set_end_ms = 0
        self.set_reps = 0
        self.set_exercise = 0
        self._in_set = False
        self._last_rep_ms = 0

    def feed(self, t_ms, ax, ay, az, gx=0, gy=0, gz=0):
        return 0

    def finish(self, t_ms):
        if not self._in_set:
            return 0
        self._in_set = False
        self.set_end_ms = self._last_rep_ms
        return EV_SET
