# Streaming rep counter for clamshells and side-lying leg lifts; the same source runs on the band
# (MicroPython) and on the host (CPython replay). Integer arithmetic only: nothing allocates per
# sample, and the count does not depend on absolute time (bins start at the first sample).
#
# API (the app, replay, the virtual band and the benchmarks rely on it):
#   c = Counter(sample_rate_hz, axes_known=True, mode=AUTO, params=None)
#   ev = c.feed(t_ms, ax_mg, ay_mg, az_mg, gx_dds, gy_dds, gz_dds)  # ints; gyro accepted, unused
#   ev = c.finish(t_ms)      # end of data: closes the open set; call until it returns 0
# Each call returns at most one event, EV_REP or EV_SET (0 if none); queued events follow on the
# next calls, in order (a set's reps, then the set).
#   if ev & EV_REP: c.rep_t_ms, c.rep_exercise, c.rep_rom_cdeg, c.rep_duration_ms, c.set_reps,
#                   c.rep_up_ms, c.rep_hold_ms, c.rep_down_ms, c.rep_faults (FAULT_* bits)
#   if ev & EV_SET: c.set_start_ms, c.set_end_ms, c.set_reps, c.set_exercise, c.set_moved
# A set is one exercise. Each rep's rep_exercise is the guess from the set so far; the set's
# set_exercise is judged on the whole set, and set_moved of its reps were reported as another
# exercise: file them under set_exercise (the app's day counts, the host's store and replay do).
# Accelerations are in the band frame when axes_known (x toward the knee, z out of the skin).
#
# Stages, each run once per 100 ms tick (see README, "The counter"):
# 1. Front end: samples are averaged into 100 ms bins on the sample clock's own phase; the bin
#    mean gives the gravity direction g (unit vector, mg) and |a| (whose change per tick is the
#    jerk: impacts and pushes that a slow limb rotation cannot make).
# 2. Stillness: about a second of g barely turning marks the rest R and forgets older motion.
# 3. Signal: c = |g - R|, the chord of the thigh's turn away from the rest: unsigned, so there is
#    no axis to estimate and no polarity to get wrong.
# 4. Reps: c climbs to a top and comes back at least halfway toward the rest; the rest follows
#    each rep's bottom. Dips in a hold that stay above half the height are not returns.
# 5. Judge each rep once, at its end: size, duration, jerk, and (band frame known) the posture at
#    the rest and the knee rising; the set tracker confirms a set on its second consistent rep,
#    holds back a rep much smaller than the set's own (an aborted half rep, unless the next one
#    is as small), and ends the set after a pause of a few of its own rep periods.
# 6. Form, per rep (_form_*): the phases from standstill to standstill, found from the turn per
#    tick (the angular speed of gravity): up from the last still tick at the rest to the first
#    still tick at the top, hold until the last still tick there (wavering between included),
#    down to the first still tick after the return, a landing, or the next rep's onset. A rep's
#    event waits until its down phase is over (at most down_max_ms). rom: see _clinical_cdeg.
#    Faults (rep_faults bits, FAULT_NAMES): too small against the set's own reps (in _add), the
#    others in _faults: too fast and no hold against the prescription (Params.rx_*; a down is
#    judged when it ends), drift forward (leg lift) and pelvis roll (clamshell) in the band frame.
try:
    from micropython import const  # type: ignore
except ImportError:  # CPython
    def const(x):
        return x

# modes and a rep's exercise (numbers and names): one definition, shared with the host
from names import AUTO, CLAMSHELL, EXERCISE_NAMES, LEG_LIFT, MODE_NAMES  # noqa: F401

EV_REP = const(1)
EV_SET = const(2)

# form faults of a rep: bits of rep_faults, named in this order
FAULT_TOO_SMALL = const(1)  # range well below the set's own
FAULT_TOO_FAST = const(2)  # up or down much faster than the prescription's tempo
FAULT_NO_HOLD = const(4)  # no stop at the top when the prescription asks for a hold
FAULT_DRIFT_FORWARD = const(8)  # leg lift: the plane of the lift tilted (hip flexion)
FAULT_PELVIS_ROLL = const(16)  # clamshell: the rest rolled back from the set's first rest
FAULT_NAMES = ("too_small", "too_fast", "no_hold", "drift_forward", "pelvis_roll")
# by exercise number, the fault judged for that exercise alone: a rep guessed one exercise and
# filed under the other at its set's end is cleared of it (host_tools' store and replay)
EXERCISE_FAULT = (0, FAULT_PELVIS_ROLL, FAULT_DRIFT_FORWARD)

_TICK_MS = const(100)  # internal rate: 10 Hz, whatever the sample rate
_QUEUE = const(8)  # reps waiting to be read, one per feed() call
_HIST = const(8)  # reps of the set whose heights and periods make its medians

# Form state and the event queue live in one preallocated list (self._f), not in attributes or
# lists of their own: a full instance dict would grow (240 bytes more), the fuller it is the
# longer a method lookup (a miss in it) probes, and each list costs a header and rounding.
# (No properties either: a class with one makes every attribute store look in the class
# first, a third slower.)
_F_ON = const(0)  # last still tick at the rest (or the bottom): a rep's onset
_F_START = const(1)  # onset of the rep in progress
_F_HOLD_ON = const(2)  # first still tick at the top (-1: none yet)
_F_HOLD_C = const(3)  # the chord c there
_F_HOLD_OFF = const(4)  # last still tick at the top: the down's start
_F_PEAK_K = const(5)  # tick of the top (the hold, when the leg never stopped)
_F_UP_MAX = const(6)  # fastest turn per tick of the up phase
_F_C = const(7)  # the candidate rep's up, hold, down (ms)
_F_H = const(10)  # the held rep's
_F_C_LIFT = const(13)  # the candidate's and the held rep's rise of the thigh (cdeg)
_F_H_LIFT = const(14)
_F_WHERE = const(15)  # whose down phase is open: 0 none, 1 a queued rep (at _F_SLOT), 2 the held
_F_SLOT = const(16)
_F_DN_K = const(17)  # tick the open down phase began
_F_DN_MAX = const(18)  # fastest turn of it so far
_F_DN_PREV = const(19)  # its turn at the last tick
# (cold state of the judging moved here from attributes, for the same reason)
_F_C_SIZE = const(20)  # the candidate rep being judged (set by _rep_end): height, duration, arc
_F_C_DUR = const(21)
_F_C_ROM = const(22)
_F_DONE = const(23)  # a finished set waiting to be reported: start, end, exercise, reps, moved
_F_Q = const(28)  # the queue: up, hold, down (+ faults << 16), top t, exercise, rom, duration
_Q_SLOT = const(7)  # (per queued rep; one list, not seven: a list costs its header and rounding)
_F_H_R = const(84)  # (_F_Q + _Q_SLOT * _QUEUE) the held rep's rest (x, y, z mg), and the set's
_F_SET_R = const(87)  # first rep's (pelvis roll)
_F_OLD = const(90)  # the still run's older anchor: x, y, z
_F_SET_N = const(93)  # the set's reps reported as clamshells, as leg lifts
_F_TURN = const(95)  # a rep turned from the set's way is held (1) and the set's way (x, y, z)
_F_LEN = const(99)
# asin in centidegrees at 0, 0.05, ..., 1.0 (linear between: < 0.4 deg off below 72 deg)
_ASIN = (0, 287, 574, 863, 1154, 1448, 1746, 2049, 2358, 2674, 3000, 3337, 3687, 4054, 4443,
         4859, 5313, 5821, 6416, 7181, 9000)

# detector phases
_NO_REST = const(0)  # moving, no rest known: wait for stillness
_REST = const(1)  # at the rest
_UP = const(2)  # away from the rest: a rep (or a hold) in progress
_DOWN = const(3)  # came back: following the bottom until the next rep or stillness


class Params:
    """Every threshold of the counter, with its unit and reason; evaluation sweeps them."""

    def __init__(self):
        # stillness: gravity turning less than this per tick (mg of chord per 100 ms, ~9 deg/s)
        # and |a| steady; a held limb wavers 1-3 deg/s, any deliberate move is faster
        self.still_turn_mg = 16
        self.still_jerk_mg = 40
        self.still_ticks = 8  # ~1 s of it marks a rest (0.8 s: ~1 s once the smoothing settles)
        self.still_drift_mg = 35  # ... within ~2 deg of where it began
        # ... bounds that grow with the sensor's own noise: at 20-25 Hz (two samples a bin) a
        # part's 30 mg of noise turns a still thigh's gravity by more than still_turn_mg a
        # tick. The median |a| change per tick is about the noise of a bin's mean (sigma); a
        # still tick turns under 1.5 sigma (96 % of them), changes |a| under 3 sigma, drifts
        # under 2 sigma over 4-7 ticks. The estimate is held under this (mg): above it the
        # thigh is moving (walking, cycling), not noisy
        self.noise_max_mg = 30
        # the smallest rep: a 4 deg turn of the thigh (chord, mg); below, nobody counts it
        self.rep_min_mg = 70
        # a rep ends when the turn comes back to this share of its height (dips in a hold that
        # stay above it are wobble, not a return)
        self.return_pct = 50
        # a new rep starts from the bottom once the thigh has turned this far back out
        self.rise_mg = 44
        # a rep lasts from leaving the rest to coming back (ms): a controlled lift and lower
        # takes longer than a gait half cycle (~0.5 s); a hold longer than this is a new posture
        self.rep_min_ms = 700
        self.rep_max_ms = 25000
        self.hold_max_ms = 12000
        # beyond this turn (chord mg, ~106 deg) it is a change of posture, not a rep; a brief
        # stop after a turn of 60 deg (lying down, rolling over: ~90) may be a new posture
        self.posture_mg = 1600
        self.turn_posture_mg = 1000
        # mean |a| change per tick over a rep (mg): a limb turned under control at <= 90 deg/s
        # makes < 0.1 g of linear acceleration; steps, pedalling and bumps make 0.3-1 g
        self.jerk_max_mg = 150
        # ... and over the last ~3 s, pauses between reps included: pedalling and gait never
        # pause, a set of reps rests at the bottom
        self.bout_jerk_mg = 100
        # reps of one set swing the same way: the cosine (per mille) between the directions of
        # their tops is above this (a gait swings forward, then back: about -1000)
        self.same_way_pm = 0
        # ... and a smaller rep that still counts (whole, or the set got smaller) is the set's
        # own motion done smaller: it swings within 30 deg of the set's last rep (cos 30 deg)
        self.like_pm = 866
        # ... and a set is one motion: its reps' tops, seen from the rest, lie within ~20 deg
        # of the last rep's (the real sets: p99 20 deg, most under 10). A rep turned farther
        # (cos 25 deg) is held until the next one says whether the motion changed: a
        # clamshell's turn, about the trunk's long axis, is 35-55 deg off a leg lift's. Band
        # frame, exercise not fixed (where the exercise is told apart); a count never changes
        # for it, only where one set ends and the next begins
        self.one_motion_pm = 906
        # an aborted half rep: smaller than this share of the set's median height; it counts
        # if the next rep is below full_pct of it too (the set itself got smaller)
        self.half_pct = 40
        self.full_pct = 75
        # ... and it is whole (counts at once) if it lasts this share of the set's reps: an
        # aborted rep turns back early, it does not go through the set's up, hold and down
        self.whole_pct = 70
        # under a quarter of the set's reps it is a bounce in a lowering or a fidget, however
        # long it takes
        self.bounce_pct = 25
        # a set ends after a pause of this many median rep periods, within these bounds (ms)
        self.gap_periods = 3
        self.gap_min_ms = 8000
        self.gap_max_ms = 30000
        # band frame known: the rest has the outer thigh facing up (z >= 0.5 g: lying on the
        # side, band on the top leg), the knee rises by >= 30 % of the turn, and a clamshell
        # rolls the thigh (|dy| >= 60 % of dx over the set: cot of the hip flexion, 1 at 45 deg)
        self.up_min_mg = 500
        self.knee_pct = 30
        self.clam_pct = 60
        # form: the thigh is moving while gravity turns more than this per tick (mg per 100 ms,
        # ~3.4 deg/s: above a held limb's wavering and the sensor noise after smoothing); a move
        # has stopped below this share of its own fastest turn (a smooth move slows gradually)
        self.move_turn_mg = 6
        self.stop_pct = 15
        # a stop at the top is the hold unless the thigh then rises this much further (mg of c,
        # and this share of the height there): a pause on the way up (a held leg creeps up by a
        # few degrees); still ticks below this share of the top are a pause on the way down
        self.hold_rise_mg = 44
        self.hold_rise_pct = 20
        self.hold_pct = 70
        # a landing: within this share of the range from the rest, the turn falls below this
        # share of the lowering's fastest and rises again (the rebound off the other leg)
        self.land_near_pct = 25
        self.land_pct = 40
        # a rep's event waits at most this long for its down phase to end (ms)
        self.down_max_ms = 4000
        # too small: a rep's height under this share of the set's (the median of its last three
        # reps; for a set's first rep, the second's): a quarter of the range missing is what a
        # physiotherapist corrects, and reps of one set vary by about 15 %
        self.small_pct = 75
        # --- the other form faults, judged once per counted rep -------------------------------
        # the prescription (the app sets it from the band's settings, firmware/settings.py):
        # each phase's time (ms), "two up, hold two, two down"; a hold of 0 asks for none
        self.rx_up_ms = 2000
        self.rx_hold_ms = 2000
        self.rx_down_ms = 2000
        # the prescription's minimum range (the clinical angle, rom, in cdeg): a rep below it is
        # too small whatever the set's own reps do (a whole set done small); 0: none given
        self.rx_rom_cdeg = 0
        # too fast: an up or a down, or the whole rep (up, hold and down), in under this share
        # of the prescribed time (a 2 s lift in under 1 s swings on momentum; a set's reps vary
        # by ~30 %, the phases are measured to ~150 ms, their sum better: its ends are the
        # rep's onset and stop)
        self.fast_pct = 50
        # no hold: stopped at the top for under this share of the hold asked for (of a 2 s
        # hold, under 0.8 s: a touch and go measures up to ~600 ms, as a slow move's stop is
        # found before the leg is quite still; a held rep falls short of the prescription by
        # ~20 % at most)
        self.no_hold_pct = 40
        # drift forward (leg lift, band frame): gravity's move along y at the top over its move
        # along x above this (per mille: tan 12 deg). Lying on the side, a thigh lifted from a
        # hip flexed by b turns about an axis b off the band's y, so dy/dx = tan b; a band turned
        # a few degrees on the skin reads the same, so the bar is above that (the README's
        # limit of the mounting is ~10 deg)
        self.drift_pm = 213
        # the sign of y's change when the knee drifts forward: y points forward on the right
        # thigh, so -1 there, +1 on the left; 0 (side unknown): either way counts
        self.forward_y = 0
        # pelvis roll (clamshell): the rest a rep starts from has turned from the set's first
        # rest, along the rep's own direction, by more than this (mg of chord, ~10 deg). The
        # pelvis rolls about the trunk's long axis, the clamshell's own axis, so within a rep it
        # only adds range; what the band sees is the thigh lying rolled back between reps
        self.roll_mg = 175


def _isqrt(n, guess):
    # Integer square root by Newton's method from a nearby guess (the last magnitude).
    if n <= 0:
        return 0
    if guess <= 0:
        guess = 1
    x = (guess + n // guess) >> 1
    if x <= 0:
        return 1
    while True:
        y = (x + n // x) >> 1
        if y >= x:
            return x
        x = y


def _asin_cdeg(v):
    # asin(v / 1000) in centidegrees, from the _ASIN table (v in mg, clamped to -1000..1000).
    neg = v < 0
    if neg:
        v = -v
    if v >= 1000:
        a = 9000
    else:
        i = v // 50
        a = _ASIN[i] + (_ASIN[i + 1] - _ASIN[i]) * (v - i * 50) // 50
    return -a if neg else a


def forward_y(side):
    """Params.forward_y for a band on the outer thigh of `side` ("left"/"right", or the
    learned thigh's code, 1/2 as replog.SIDES): y = z x x points forward on the right thigh."""
    if side == "right" or side == 2:
        return -1
    return 1 if side == "left" or side == 1 else 0


def _cos_pm(ax, ay, az, bx, by, bz):
    a = _isqrt(ax * ax + ay * ay + az * az, 500)
    b = _isqrt(bx * bx + by * by + bz * bz, 500)
    ab = a * b // 1000  # (both <= 2000 mg: the products stay small ints)
    if ab <= 0:
        return 1000
    return (ax * bx + ay * by + az * bz) // ab


def _median(src, n, tmp):
    # Median of src[0:n] (n >= 1) by insertion sort into the preallocated tmp.
    for i in range(n):
        v = src[i]
        j = i
        while j > 0 and tmp[j - 1] > v:
            tmp[j] = tmp[j - 1]
            j -= 1
        tmp[j] = v
    return tmp[n >> 1]


class Counter:
    def __init__(self, sample_rate_hz, axes_known=True, mode=AUTO, params=None):
        if not 20 <= sample_rate_hz <= 200:
            raise ValueError("sample rate must be 20..200 Hz")
        if mode not in (AUTO, CLAMSHELL, LEG_LIFT):
            raise ValueError("mode must be AUTO, CLAMSHELL or LEG_LIFT")
        self.sample_rate_hz = sample_rate_hz
        self.axes_known = axes_known
        self.mode = mode
        self.p = params if params is not None else Params()
        self._h_size = [0] * _HIST
        self._h_period = [0] * _HIST
        self._h_dur = [0] * _HIST
        self._tmp = [0] * _HIST
        self.reset()

    def reset(self):
        self.rep_t_ms = 0
        self.rep_exercise = 0
        self.rep_rom_cdeg = 0
        self.rep_duration_ms = 0
        self.rep_up_ms = 0  # the rep's phases, standstill to standstill
        self.rep_hold_ms = 0
        self.rep_down_ms = 0
        self.rep_faults = 0
        self.set_start_ms = 0
        self.set_end_ms = 0
        self.set_reps = 0
        self.set_exercise = 0
        self.set_moved = 0
        self.signal_mg = 0  # c, for plots
        self.reps_total = 0
        self.reps_dropped = 0
        # front end: the open bin (start time in the caller's ms, sums, count), the tick count
        self._tb = 0
        self._sx = 0
        self._sy = 0
        self._sz = 0
        self._n = 0
        self._k = 0  # ticks since the first sample: all internal timing counts these
        self._started = False
        self._mag = 1000
        self._gx = 0  # smoothed unit gravity, Q4 (mg * 16)
        self._gy = 0
        self._gz = 0
        self._px = 0  # last tick's gravity (mg), for the turn per tick
        self._py = 0
        self._pz = 0
        self._turn = 0
        self._noise = 0  # the median |a| change per tick (mg): the sensor's noise (sigma)
        self._st = 0  # this tick's stillness bounds: turn, |a| change, drift (Params, noise)
        self._sj = 0
        self._sd = 0
        self._still = 0  # consecutive still ticks
        self._ax = 0  # where the still run was at its last 4th tick (the older: in _f)
        self._ay = 0
        self._az = 0
        # rest, top and bottom gravity (mg)
        self._rx = 0
        self._ry = 0
        self._rz = 0
        self._tx = 0
        self._ty = 0
        self._tz = 0
        self._bx = 0
        self._by = 0
        self._bz = 0
        self._phase = _NO_REST
        self._peak = 0  # the top's turn c (mg)
        self._peak_t = 0  # its time (caller ms)
        self._bottom = 0  # the lowest c since the return
        self._leave_k = 0  # tick the thigh left the rest
        self._leave_t = 0
        self._up_still = 0  # ticks of stillness in the current hold
        self._hx = 0  # where it stopped
        self._hy = 0
        self._hz = 0
        self._jerk_sum = 0  # jerk summed over the rep in progress
        self._jerk_avg = 0  # jerk over the last ~3 s, Q5
        # the set
        self._in_set = False
        self._set_n = 0  # reps counted in the set
        self._set_ex = 0
        self._set_start = 0
        self._set_end = 0
        self._last_end_k = 0
        self._sum_dx = 0
        self._sum_dy = 0
        self._dx = 0  # direction of the set's last rep: top - rest (mg)
        self._dy = 0
        self._dz = 0
        self._hn = 0  # entries in the height/period history
        self._hi = 0
        # a rep waiting for its set: the first one (until a second confirms the set), or a small
        # one (until the next shows whether the set got smaller or it was aborted)
        self._held = False
        self._held_t = 0
        self._held_rom = 0
        self._held_dur = 0
        self._held_size = 0
        self._held_start = 0
        self._held_end_k = 0
        self._held_dx = 0
        self._held_dy = 0
        # events
        self._q_head = 0
        self._q_len = 0
        self._set_done = False
        self._reps_after = False
        # last: the hot attributes above keep the first choice of slots in the instance dict
        self._f = [0] * _F_LEN
        self._f[_F_HOLD_ON] = -1

    # --- front end (per sample: keep it small) -------------------------------------------------

    def feed(self, t_ms, ax, ay, az, gx=0, gy=0, gz=0):
        # Returns at most one event per call (EV_REP or EV_SET); queued ones follow on later calls.
        d = t_ms - self._tb
        if 0 <= d < _TICK_MS and self._n:
            self._sx += ax
            self._sy += ay
            self._sz += az
            self._n += 1
        else:
            self._next_bin(t_ms, d)
            self._sx = ax
            self._sy = ay
            self._sz = az
            self._n = 1
        if self._q_len or self._set_done:
            return self._pop()
        return 0

    def _next_bin(self, t_ms, d):
        # Close the open bin and start the one holding t_ms: bins stay on the grid of the first
        # sample (a gap skips whole bins; time going backwards restarts the grid there).
        if self._n:
            self._tick()
            if d >= _TICK_MS:
                steps = d // _TICK_MS
                self._k += steps
                self._tb += steps * _TICK_MS
                return
            self._k += 1
        self._tb = t_ms

    def finish(self, t_ms):
        # End of data: closes the open set. Call until it returns 0 to drain every event.
        if self._n:
            self._tick()
            self._n = 0
            self._k += 1
        f = self._f
        if f[_F_WHERE] == 2 and self.signal_mg * 100 > self._peak * self.p.land_near_pct:
            f[_F_TURN] = 0  # a held rep still on its way down: not counted (as below)
        if f[_F_WHERE] == 1 and self.signal_mg * 100 > self._peak * self.p.land_near_pct:
            self._unpush()  # the data ended while the leg was still on its way down
        elif f[_F_WHERE]:
            self._form_close(self._k)
        if self._in_set or self._held:
            self._end_set()
        return self._pop()

    # --- per tick ----------------------------------------------------------------------------

    def _tick(self):
        n = self._n
        x = self._sx // n
        y = self._sy // n
        z = self._sz // n
        mag = _isqrt(x * x + y * y + z * z, self._mag)
        if mag < 300:  # free fall or garbage: keep the last direction
            self._still = 0
            return
        jerk = mag - self._mag
        if jerk < 0:
            jerk = -jerk
        self._mag = mag
        x = x * 1000 // mag
        y = y * 1000 // mag
        z = z * 1000 // mag
        if not self._started:
            self._started = True
            self._gx = x << 4
            self._gy = y << 4
            self._gz = z << 4
            self._px = x  # (no turn before the first tick)
            self._py = y
            self._pz = z
            jerk = 0
        self._gx += ((x << 4) - self._gx) >> 1
        self._gy += ((y << 4) - self._gy) >> 1
        self._gz += ((z << 4) - self._gz) >> 1
        x = self._gx >> 4
        y = self._gy >> 4
        z = self._gz >> 4
        dx = x - self._px
        dy = y - self._py
        dz = z - self._pz
        self._px = x
        self._py = y
        self._pz = z
        turn = _isqrt(dx * dx + dy * dy + dz * dz, self._turn)
        self._turn = turn
        p = self.p
        n = self._noise  # a median tracker: a step toward the |a| change of each tick that
        if turn <= 2 * self._st:  # hardly turns (a turning thigh's |a| changes with it)
            if jerk > n:
                if n < p.noise_max_mg:
                    n += 1
            elif jerk < n:
                n -= 1
            self._noise = n
        st = 3 * n // 2
        self._st = st if st > p.still_turn_mg else p.still_turn_mg
        self._sj = 3 * n if 3 * n > p.still_jerk_mg else p.still_jerk_mg
        self._sd = 2 * n if 2 * n > p.still_drift_mg else p.still_drift_mg
        if turn <= self._st and jerk <= self._sj:
            self._stillness(x, y, z)
        else:
            self._still = 0
        self._jerk_sum += jerk
        self._jerk_avg += jerk - (self._jerk_avg >> 5)  # ~3 s mean: the bout's, rests included
        self._detect(x, y, z)

    def _stillness(self, x, y, z):
        # A tick slow enough to be still; and no going anywhere: a slow small rep turns < 9
        # deg/s too. Within still_drift_mg of where the thigh was 4 to 7 ticks ago (anchors
        # moved on every 4 still ticks): a ball around where a run began would let a slow move
        # through it count as still, its whole way across.
        f = self._f
        dx = x - f[_F_OLD]
        dy = y - f[_F_OLD + 1]
        dz = z - f[_F_OLD + 2]
        if self._still and dx * dx + dy * dy + dz * dz <= self._sd * self._sd:
            self._still += 1
            if self._still & 3 == 0:
                f[_F_OLD] = self._ax
                f[_F_OLD + 1] = self._ay
                f[_F_OLD + 2] = self._az
                self._ax = x
                self._ay = y
                self._az = z
            return
        self._still = 1
        self._ax = f[_F_OLD] = x
        self._ay = f[_F_OLD + 1] = y
        self._az = f[_F_OLD + 2] = z

    def _chord(self, x, y, z):
        dx = x - self._rx
        dy = y - self._ry
        dz = z - self._rz
        return _isqrt(dx * dx + dy * dy + dz * dz, self.signal_mg + 64)

    def _set_rest(self, x, y, z):
        if (self._in_set or self._held) and self._chord(x, y, z) >= self.p.turn_posture_mg:
            self._end_set()  # a new posture (stood up, rolled over): a set is done in one
        self._rx = x
        self._ry = y
        self._rz = z
        self._phase = _REST
        self._leave_k = self._k
        self._leave_t = self._tb + 50
        self._jerk_sum = 0
        f = self._f
        if f[_F_WHERE]:
            self._form_close(self._k)
        f[_F_ON] = self._k

    def _detect(self, x, y, z):
        p = self.p
        ph = self._phase
        k = self._k
        still = self._still >= p.still_ticks
        if ph == _NO_REST:
            if self._f[_F_WHERE]:
                self._form_close(k)
            if self._turn <= 2 * self._st:
                # a moment's stop (a turning point, when reps go on without a pause): the
                # rest for now; a second of stillness replaces it
                self._set_rest(x, y, z)
            self.signal_mg = 0
            self._idle_check()
            return
        c = self._chord(x, y, z)
        self.signal_mg = c
        if self._f[_F_WHERE]:
            self._form_down(k, c)
        if ph == _REST:
            if self._turn <= p.move_turn_mg:
                self._f[_F_ON] = k  # not moving yet: the next rep's onset is later
            if (still and self._turn <= p.move_turn_mg
                    and not self._small_top(x - self._rx, self._rz, c)):
                # the rest follows the thigh while it lies still, not once it starts to move
                # (band frame: not up to where the knee is held higher, the top of a rep too
                # small to count)
                self._set_rest(x, y, z)
            elif c > p.rep_min_mg:
                self._start_up(c, x, y, z)
            elif c <= p.rise_mg and self._turn <= self._st:
                self._leave_k = k  # a rep's duration counts from when it left the rest
                self._leave_t = self._tb + 50
                self._jerk_sum = 0
        elif ph == _UP:
            self._form_up(c, k)
            if c > self._peak:
                self._peak = c
                self._peak_t = self._tb + 50
                self._tx = x
                self._ty = y
                self._tz = z
            if c > p.posture_mg or (k - self._leave_k) * _TICK_MS > p.rep_max_ms:
                self._phase = _NO_REST  # a change of posture: wait for stillness
            elif c * 100 <= self._peak * p.return_pct:
                self._phase = _DOWN
                self._f[_F_ON] = k  # the next rep's onset is no earlier than this return
                self._bottom = c  # (along the rep's direction, c is at most this)
                self._bx = x
                self._by = y
                self._bz = z
                self._rep_end()  # (the next rep's duration counts from the bottom)
            elif self._still >= 2:
                # stopped: at the top of a rep (a hold), or in a new posture (after lying down,
                # rolling over, sitting: even a brief stop)
                if still and not self._top_like(c, x):
                    self._set_rest(x, y, z)  # no rep's top: a new posture, the rest now
                else:
                    self._up_still += 1
                    self._hx = x
                    self._hy = y
                    self._hz = z
                    if still and self._up_still * _TICK_MS > p.hold_max_ms:
                        self._set_rest(x, y, z)  # held too long to be a rep: a new posture
            elif self._up_still:
                self._left_hold(c, x, y, z)
        else:  # _DOWN
            # the bottom is where the thigh turns back: the least of its turn along this rep's
            # direction (the chord's own minimum would be where the path passes the rest)
            d = ((x - self._rx) * (self._tx - self._rx) + (y - self._ry) * (self._ty - self._ry)
                 + (z - self._rz) * (self._tz - self._rz)) // self._peak
            # ... near that line: farther off it than the rep was tall, and more across it than
            # along, the thigh has set off another way from the bottom (a fidget followed at
            # once by a rep in a direction of its own), and is no lower for it
            off = c * c - d * d  # the square of the distance from the rest->top line
            lim = self._peak if self._peak > 2 * p.rise_mg else 2 * p.rise_mg
            across = off > lim * lim and off > d * d
            if across:
                d = self._bottom
            if d < self._bottom or self._turn <= p.move_turn_mg:
                self._f[_F_ON] = k  # lowering or lying still: the next rep has not begun
            if d < self._bottom:
                self._bottom = d
                self._bx = x
                self._by = y
                self._bz = z
                self._leave_k = k
                self._leave_t = self._tb + 50
                self._jerk_sum = 0  # (a rep's mean jerk: over the ticks its duration counts)
            elif self._turn <= self._st and d - self._bottom <= p.rise_mg // 2:
                self._leave_k = k  # lying at the bottom: the next rep has not begun
                self._leave_t = self._tb + 50
                self._jerk_sum = 0
            if still and not self._small_top(x - self._bx, self._bz, c):
                self._set_rest(x, y, z)
            elif across or d - self._bottom > p.rise_mg:
                # out again from the bottom: that is the new rest
                self._rx = self._bx
                self._ry = self._by
                self._rz = self._bz
                self._start_up(self._chord(x, y, z), x, y, z)
        self._idle_check()

    def _small_top(self, rise, rest_z, c):
        # Band frame: is a stop with the knee this much higher than a rest on the side the top
        # of a rep too small to count? Then the rest must not follow it up there.
        p = self.p
        return (self.axes_known and rise > p.rise_mg and rest_z >= p.up_min_mg
                and c < p.turn_posture_mg)

    def _top_like(self, c, x):
        # Could the thigh be held at a rep's top here? In the band frame: only lying on the side
        # with the knee raised from the rest; else only within a rep's size of the rest.
        if self.axes_known:
            return self._rz >= self.p.up_min_mg and (x - self._rx) * 100 >= c * self.p.knee_pct
        if c < self.p.turn_posture_mg:
            return True
        # farther: within a set of reps that tall it is one more of them (a wide clamshell
        # opens ~70 deg, as far as a stand from a chair turns the thigh), up to the 15 % a
        # set's reps vary by (so standing up, 90 deg, still ends a set of 75-deg reps)
        return self._in_set and self._hn > 0 and c * 20 <= self._recent(self._h_size) * 23

    def _left_hold(self, c, x, y, z):
        # Moving again after a stop away from the rest: back toward the rest, it was a hold;
        # on away from it (or across), the stop was a new posture (lying down, rolling over):
        # it is the rest now, and this is the first swing from it.
        dx = x - self._hx
        dy = y - self._hy
        dz = z - self._hz
        ch = _isqrt(dx * dx + dy * dy + dz * dz, 100)
        if ch <= 2 * self.p.rise_mg:
            return  # still near the stop: wait
        rx = self._rx - self._hx
        ry = self._ry - self._hy
        rz = self._rz - self._hz
        far = _isqrt(rx * rx + ry * ry + rz * rz, c + 64)
        # how far the thigh has come back along the line from the stop to the rest: the
        # chord to the rest alone also shrinks on a swing across that line
        back = (dx * rx + dy * ry + dz * rz) // (far if far > 0 else 1)
        rise = self.p.rise_mg
        if back > rise or (
                self._up_still < self.p.still_ticks and far < self.p.turn_posture_mg):
            # on the way back: a hold (a brief stop marks a new posture only after a turn
            # as big as lying down or rolling over)
            self._up_still = 0
            return
        if back >= -rise and ch * ch - back * back <= far * far:
            return  # not away from the rest, across the line by less than the rep's size: wait
        self._rx = self._hx
        self._ry = self._hy
        self._rz = self._hz
        self._leave_k = self._k - 1
        self._leave_t = self._tb - 50
        self._jerk_sum = 0
        self._f[_F_ON] = self._k - 1
        self._start_up(ch, x, y, z)

    def _start_up(self, c, x, y, z):
        self._phase = _UP
        self._peak = c
        self._peak_t = self._tb + 50
        self._tx = x
        self._ty = y
        self._tz = z
        self._up_still = 0
        f = self._f
        if f[_F_WHERE]:
            self._form_close(f[_F_ON])  # the last rep's down ends where this one begins
        f[_F_START] = f[_F_ON]
        f[_F_HOLD_ON] = -1
        f[_F_PEAK_K] = self._k
        f[_F_UP_MAX] = self._turn

    # --- form: phases from the turn per tick (the angular speed), once per tick ------------------

    def _form_up(self, c, k):
        # Away from the rest: where the thigh stops at the top (the hold) and leaves it.
        f = self._f
        p = self.p
        turn = self._turn
        peak = self._peak
        if c > peak:
            f[_F_PEAK_K] = k
            peak = c
        thr = f[_F_UP_MAX] * p.stop_pct // 100
        if thr < p.move_turn_mg:
            thr = p.move_turn_mg
        if turn <= thr:
            if c * 100 >= peak * p.hold_pct:
                if f[_F_HOLD_ON] < 0:
                    f[_F_HOLD_ON] = k
                    f[_F_HOLD_C] = c
                f[_F_HOLD_OFF] = k
        elif f[_F_HOLD_ON] < 0:
            if turn > f[_F_UP_MAX]:
                f[_F_UP_MAX] = turn
        else:
            rise = f[_F_HOLD_C] * p.hold_rise_pct // 100
            if rise < p.hold_rise_mg:
                rise = p.hold_rise_mg
            if c > f[_F_HOLD_C] + rise:
                f[_F_HOLD_ON] = -1  # a pause on the way up: the up phase goes on

    def _form_down(self, k, c):
        # After a rep's return: its down phase ends at the first still tick, or at a landing:
        # near the rest, the first tick where the turn stops slowing (a leg let fall hits the
        # other leg and rebounds; its turn drops, then rises again).
        f = self._f
        p = self.p
        turn = self._turn
        prev = f[_F_DN_PREV]
        f[_F_DN_PREV] = turn
        if turn > f[_F_DN_MAX]:
            f[_F_DN_MAX] = turn
        thr = f[_F_DN_MAX] * p.stop_pct // 100
        if thr < p.move_turn_mg:
            thr = p.move_turn_mg
        if turn <= thr or (k - f[_F_DN_K]) * _TICK_MS > p.down_max_ms:
            self._form_close(k)
        elif (turn > prev and prev * 100 <= f[_F_DN_MAX] * p.land_pct
              and c * 100 <= self._peak * p.land_near_pct):
            self._form_close(k - 1)

    def _form_close(self, k):
        f = self._f
        d = (k - f[_F_DN_K]) * _TICK_MS
        if d < 0:
            d = 0
        w = f[_F_WHERE]
        if w == 1:
            j = _F_Q + _Q_SLOT * f[_F_SLOT] + 2
            b = f[j] >> 16  # (the rep's faults sit above bit 16)
            if self._fast(f[j - 2], f[j - 1], d):
                b |= FAULT_TOO_FAST
            f[j] = (b << 16) + d
        elif w == 2:
            f[_F_H + 2] = d
        f[_F_C + 2] = d
        f[_F_WHERE] = 0

    def _clinical_cdeg(self):
        # The leg lift's clinical range, hip abduction, is the rise of the thigh's long axis (the
        # band's x, toward the knee) above the horizontal: asin(g_x) at the top minus at the rest.
        # Unlike the gravity tilt it ignores the thigh rolling about its own axis during the lift.
        # (A clamshell's, the knee opening, is a turn about the trunk's long axis, horizontal
        # when lying on the side: the tilt of gravity itself, the arc, is that angle.)
        d = _asin_cdeg(self._tx) - _asin_cdeg(self._rx)
        return d if d > 0 else 0

    # --- judging a rep, once, at its end -----------------------------------------------------

    def _rep_end(self):
        p = self.p
        k = self._k
        ticks = k - self._leave_k
        dur = ticks * _TICK_MS
        size = self._peak
        dx = self._tx - self._rx
        dy = self._ty - self._ry
        dz = self._tz - self._rz
        jerk = self._jerk_sum // (ticks if ticks > 0 else 1)
        leave_t = self._leave_t
        f = self._f
        on = f[_F_HOLD_ON]
        off = f[_F_HOLD_OFF]
        if on < 0:  # never stopped at the top: no hold
            on = f[_F_PEAK_K]
            off = on
        f[_F_C] = (on - f[_F_START]) * _TICK_MS
        f[_F_C + 1] = (off - on) * _TICK_MS
        f[_F_C + 2] = 0
        f[_F_DN_K] = off
        f[_F_DN_MAX] = self._turn
        f[_F_DN_PREV] = self._turn
        f[_F_WHERE] = 0  # tracked once this rep is counted or held
        # the next rep's duration and jerk count from this bottom
        self._leave_k = k
        self._leave_t = self._tb + 50
        self._jerk_sum = 0
        if size < p.rep_min_mg or dur > p.rep_max_ms:
            return
        if dur < p.rep_min_ms:
            if size >= 2 * p.rep_min_mg:
                self._end_set()  # a swing too quick for a rep (a stride): no set goes on
            else:
                self._phase = _REST  # a blip (a jolt, a tap): still at the rest
            return
        if jerk > p.jerk_max_mg or (self._jerk_avg >> 5) > p.bout_jerk_mg:
            # steps, pedalling, bumps: not a limb turned under control, and no set starts
            # across them (gait and pedalling mix such swings with smoother ones)
            if not self._in_set:
                self._held = False
            return
        if self.axes_known:
            if self._rz < p.up_min_mg:
                self._end_set()  # not lying on the side with the band up: no set goes on
                return
            if dx * 100 < size * p.knee_pct:
                return  # the knee did not rise

        # arc length from chord: 2 asin(c/2) ~ c + c^3/24 (mrad), then centidegrees
        arc = size + (size * size // 1000) * size // 24000
        f[_F_C_SIZE] = size
        f[_F_C_DUR] = dur
        f[_F_C_ROM] = arc * 573 // 100
        f[_F_C_LIFT] = self._clinical_cdeg()
        self._judge(leave_t, dx, dy, dz)

    def _same_way(self, dx, dy, dz):
        # The cosine (per mille) between this rep's top and the set's last one, seen from the
        # rest: > 0 on the same side of it, 1000 the same way exactly.
        return _cos_pm(dx, dy, dz, self._dx, self._dy, self._dz)

    def _judge(self, leave_t, dx, dy, dz):
        p = self.p
        size = self._f[_F_C_SIZE]
        if (self._in_set or self._held) and (
                self._k - self._last_end_k) * _TICK_MS - self._f[_F_C_DUR] > self._gap_ms():
            self._end_set()  # a long pause before this rep began: the set is over (a long
            # hold in it is no pause)
        ref = 0  # the size this rep is judged against: the set's median, or the held first rep
        if self._in_set:
            ref = self._recent(self._h_size)
        elif self._held:
            ref = self._held_size
        cos = self._same_way(dx, dy, dz)
        f = self._f
        if f[_F_TURN]:
            # the last rep turned from the set's way is held: a full rep that turns its way too,
            # not the set's, and the two together the other exercise than the set so far, says
            # the exercise changed (the set before them is over; the two confirm the next).
            # Else it was the set's rep, wavering.
            f[_F_TURN] = 0
            hy = self._held_dy
            ady = (dy if dy >= 0 else -dy) + (hy if hy >= 0 else -hy)
            if (size * 100 >= ref * p.half_pct and cos >= p.one_motion_pm
                    and self._held_size * 100 >= size * p.half_pct
                    and size * 100 >= self._held_size * p.half_pct  # (the two confirm a set)
                    and _cos_pm(dx, dy, dz, f[_F_TURN + 1], f[_F_TURN + 2],
                                f[_F_TURN + 3]) < p.one_motion_pm
                    and (ady * 100 >= (dx + self._held_dx) * p.clam_pct) != (
                        self._sum_dy * 100 >= self._sum_dx * p.clam_pct)):
                w = f[_F_WHERE]
                self._end_set()
                self._held = True
                f[_F_WHERE] = w  # (its down phase, if still going on, is still followed)
                ref = self._held_size
            else:  # (judged from here on as if it had counted at once)
                self._count_held(self._exercise(self._held_dx, self._held_dy))
                ref = self._recent(self._h_size)
                cos = self._same_way(dx, dy, dz)
        same = cos >= p.same_way_pm
        like = cos >= p.like_pm
        if size * 100 < ref * p.half_pct:
            # under half the set's reps: aborted, unless it took as long as they do (a whole
            # rep, only smaller: a small one held before it counts too, the set got smaller).
            # Aborted reps turn back early, so two short ones in a row are two aborted reps
            # (the later is held in case the next rep is as small: the set got smaller)
            if self._in_set and like:
                if (self._f[_F_C_DUR] * 100 >= self._recent(self._h_dur) * p.whole_pct
                        and size * 100 >= ref * p.bounce_pct):
                    ex = self._exercise(dx, dy)
                    if self._held:  # two small ones in a row: the set got smaller
                        self._count_held(ex)
                    self._count(ex, dx, dy)
                else:
                    self._hold(leave_t, dx, dy, dz)
            return
        if self._in_set and self._held and like and size * 100 < ref * p.full_pct:
            self._count_held(self._exercise(dx, dy))  # the reps are getting smaller: it counts
        if (self._in_set or self._held) and not same:
            self._end_set()  # a swing the other way: another motion, not this set's rep
        if (self._in_set and cos < p.one_motion_pm and self.axes_known
                and self.mode == AUTO):
            f[_F_TURN] = 1  # turned from the set's way: held until the next rep (a small
            f[_F_TURN + 1] = self._dx  # one held before it was aborted)
            f[_F_TURN + 2] = self._dy
            f[_F_TURN + 3] = self._dz
            self._hold(leave_t, dx, dy, dz)
            return
        ex = self._exercise(dx, dy)
        if self._in_set:
            self._held = False  # a small rep followed by a full one was aborted
            self._count(ex, dx, dy)
            return
        if not self._held or self._held_size * 100 < size * p.half_pct:
            self._hold(leave_t, dx, dy, dz)  # the first of a set (or the held one was a half rep)
            return
        # the second rep confirms the set
        self._in_set = True
        self._set_n = 0
        self._f[_F_SET_N] = 0
        self._f[_F_SET_N + 1] = 0
        self._hn = 0
        self._hi = 0
        self._sum_dx = 0
        self._sum_dy = 0
        self._set_start = self._held_start
        ex = self._exercise(dx, dy)
        self._count_held(ex)
        self._count(ex, dx, dy)

    def _exercise(self, dx, dy):
        ex = self.mode
        if self.axes_known and ex == AUTO:
            # a clamshell rolls the thigh about the body's long axis, so gravity moves along y
            # about as much as along x; judged on the whole set so far: single reps wobble
            # (a rep far from the boundary speaks for itself: a leg lift rolls the thigh a few
            # degrees, tan ~0.15, a clamshell's cot of the hip flexion is 0.7-1.4)
            ady = dy if dy >= 0 else -dy
            if ady * 200 < dx * self.p.clam_pct:
                return LEG_LIFT
            sdx = self._sum_dx + dx
            sdy = self._sum_dy + ady
            ex = CLAMSHELL if sdy * 100 >= sdx * self.p.clam_pct else LEG_LIFT
        return ex

    def _hold(self, leave_t, dx, dy, dz):
        self._held = True
        self._dx = dx
        self._dy = dy
        self._dz = dz
        self._held_t = self._peak_t
        f = self._f
        self._held_rom = f[_F_C_ROM]
        self._held_dur = f[_F_C_DUR]
        self._held_size = f[_F_C_SIZE]
        self._held_start = leave_t
        self._held_end_k = self._k
        self._held_dx = dx
        self._held_dy = dy
        self._last_end_k = self._k
        f[_F_H_R] = self._rx
        f[_F_H_R + 1] = self._ry
        f[_F_H_R + 2] = self._rz
        f[_F_H] = f[_F_C]
        f[_F_H + 1] = f[_F_C + 1]
        f[_F_H + 2] = f[_F_C + 2]
        f[_F_H_LIFT] = f[_F_C_LIFT]
        f[_F_WHERE] = 2

    def _count_held(self, ex):
        self._held = False
        f = self._f
        rom = f[_F_H_LIFT] if ex == LEG_LIFT and self.axes_known else self._held_rom
        self._add(ex, self._held_t, rom, self._held_dur, self._held_size,
                  self._held_end_k, self._held_dx, self._held_dy, _F_H)
        if f[_F_WHERE] == 2:
            f[_F_WHERE] = 1
            f[_F_SLOT] = (self._q_head + self._q_len - 1) % _QUEUE

    def _count(self, ex, dx, dy):
        f = self._f
        rom = f[_F_C_LIFT] if ex == LEG_LIFT and self.axes_known else f[_F_C_ROM]
        self._add(ex, self._peak_t, rom, f[_F_C_DUR], f[_F_C_SIZE], self._k, dx, dy, _F_C)
        f[_F_WHERE] = 1  # its down phase is still going on: the event waits for it
        f[_F_SLOT] = (self._q_head + self._q_len - 1) % _QUEUE

    def _add(self, ex, t, rom, dur, size, end_k, dx, dy, src):
        # judged against the set's reps so far; its first against the rep that confirms it
        ref = self._recent(self._h_size) if self._hn else self._f[_F_C_SIZE]
        faults = FAULT_TOO_SMALL if (size * 100 < ref * self.p.small_pct
                                     or rom < self.p.rx_rom_cdeg) else 0
        faults |= self._faults(ex, dx, dy, src)
        self._dx = dx  # (the set's direction follows its counted reps)
        self._dy = dy
        if self.axes_known and self.mode == AUTO:
            self._sum_dx += dx
            self._sum_dy += dy if dy >= 0 else -dy
        i = self._hi
        self._h_size[i] = size
        self._h_dur[i] = dur
        self._h_period[i] = (end_k - self._last_end_k) * _TICK_MS if self._set_n else dur
        self._hi = (i + 1) % _HIST
        if self._hn < _HIST:
            self._hn += 1
        self._last_end_k = end_k
        self._set_end = self._tb + 50 - (self._k - end_k) * _TICK_MS
        self._set_ex = ex
        self._push(t, ex, rom, dur, src, faults)

    def _faults(self, ex, dx, dy, src):
        # The rep's other faults (once per counted rep, not per sample): its phases against the
        # prescription, and in the band frame the leg lift's plane and the clamshell's rest.
        p = self.p
        f = self._f
        b = 0
        if f[src] * 100 < p.rx_up_ms * p.fast_pct or (
                src == _F_H and f[_F_WHERE] != 2 and self._fast(f[src], f[src + 1], f[src + 2])):
            b = FAULT_TOO_FAST  # (a down still going on is judged when it ends: _form_close)
        if f[src + 1] * 100 < p.rx_hold_ms * p.no_hold_pct:
            b |= FAULT_NO_HOLD
        if src == _F_H:
            rx = f[_F_H_R]
            ry = f[_F_H_R + 1]
            rz = f[_F_H_R + 2]
            dz = self._dz  # (still the held rep's: _hold set it, no rep was added since)
        else:
            rx = self._rx
            ry = self._ry
            rz = self._rz
            dz = self._tz - rz
        if not self._set_n:  # the set's first rep: its rest is where the pelvis started
            f[_F_SET_R] = rx
            f[_F_SET_R + 1] = ry
            f[_F_SET_R + 2] = rz
        if not self.axes_known:
            return b
        if ex == LEG_LIFT:
            fwd = dy * p.forward_y if p.forward_y else (dy if dy >= 0 else -dy)
            if dx > 0 and fwd * 1000 > dx * p.drift_pm:
                b |= FAULT_DRIFT_FORWARD
        elif ex == CLAMSHELL:
            # the rest's shift from the set's first, along this rep's direction (top - rest)
            n = _isqrt(dx * dx + dy * dy + dz * dz, 500)
            if n > 0 and ((rx - f[_F_SET_R]) * dx + (ry - f[_F_SET_R + 1]) * dy
                          + (rz - f[_F_SET_R + 2]) * dz) // n > p.roll_mg:
                b |= FAULT_PELVIS_ROLL
        return b

    def _fast(self, up, hold, down):
        # Too fast: the up or the down, or the whole rep, in under fast_pct of the prescription
        p = self.p
        return ((up + hold + down) * 100 < (p.rx_up_ms + p.rx_hold_ms + p.rx_down_ms) * p.fast_pct
                or up * 100 < p.rx_up_ms * p.fast_pct or down * 100 < p.rx_down_ms * p.fast_pct)

    def _recent(self, h):
        # median of the set's last three reps (of h: heights or durations): it follows a set
        # that gets smaller or slower
        n = 3 if self._hn >= 3 else self._hn
        i = self._hi
        t = self._tmp
        for j in range(n):
            i = (i - 1) % _HIST
            t[_HIST - 1 - j] = h[i]
        a = t[_HIST - 1]
        if n < 3:
            return a if n == 1 or a > t[_HIST - 2] else t[_HIST - 2]
        b = t[_HIST - 2]
        c = t[_HIST - 3]
        if a > b:
            a, b = b, a
        return b if b <= c else (a if a > c else c)

    def _gap_ms(self):
        p = self.p
        if self._in_set and self._hn:
            g = _median(self._h_period, self._hn, self._tmp) * p.gap_periods
        elif self._held:
            g = self._held_dur * 2  # a first rep's own length stands for the period
        else:
            return p.gap_min_ms
        return p.gap_min_ms if g < p.gap_min_ms else (p.gap_max_ms if g > p.gap_max_ms else g)

    def _idle_check(self):
        if (self._in_set or self._held) and (
                self._k - self._last_end_k) * _TICK_MS > self._gap_ms() and self._phase != _UP:
            self._end_set()

    def _end_set(self):
        f = self._f
        if f[_F_TURN]:  # the set's last rep, turned from its way: no next rep said otherwise
            f[_F_TURN] = 0
            if self._in_set and self._held:
                self._count_held(self._exercise(self._held_dx, self._held_dy))
        self._held = False  # a lone swing is not a set; a small last rep was aborted
        if f[_F_WHERE] == 2:
            f[_F_WHERE] = 0
        if not self._in_set:
            return
        self._in_set = False
        if self._set_n == 0:
            return
        self._set_done = True
        f[_F_DONE] = self._set_start
        f[_F_DONE + 1] = self._set_end
        ex = self._set_ex
        if self.axes_known and self.mode == AUTO:
            # the whole set says which exercise it was: a rep's direction wanders by ~15 deg
            # (a leg rolling back as it lifts reads like a clamshell's), the set's sum less
            ex = CLAMSHELL if self._sum_dy * 100 >= self._sum_dx * self.p.clam_pct else LEG_LIFT
        n = self._set_n
        f[_F_DONE + 2] = ex
        f[_F_DONE + 3] = n
        f[_F_DONE + 4] = n - f[_F_SET_N] if ex == CLAMSHELL else (
            n - f[_F_SET_N + 1] if ex == LEG_LIFT else 0)

    # --- events ------------------------------------------------------------------------------

    def _push(self, t, ex, rom, dur, src, faults):
        if self._q_len == _QUEUE:  # the caller stopped reading events: drop the oldest, say so
            self._q_head = (self._q_head + 1) % _QUEUE
            self._q_len -= 1
            self.reps_dropped += 1
        i = (self._q_head + self._q_len) % _QUEUE
        f = self._f
        j = _F_Q + _Q_SLOT * i
        f[j] = f[src]
        f[j + 1] = f[src + 1]
        f[j + 2] = f[src + 2] + (faults << 16)  # (a down phase is < 65.5 s)
        f[j + 3] = t
        f[j + 4] = ex
        f[j + 5] = rom
        f[j + 6] = dur
        self._q_len += 1
        self._set_n += 1
        if ex == CLAMSHELL or ex == LEG_LIFT:
            f[_F_SET_N + ex - CLAMSHELL] += 1

    def _unpush(self):
        # Take back the last queued rep (its event still waits for its down phase): a rep is a
        # turn out and back to the rest, and this one never came back.
        f = self._f
        f[_F_WHERE] = 0
        if not self._q_len or f[_F_SLOT] != (self._q_head + self._q_len - 1) % _QUEUE:
            return
        self._q_len -= 1
        self._set_n -= 1
        ex = f[_F_Q + _Q_SLOT * f[_F_SLOT] + 4]
        if ex == CLAMSHELL or ex == LEG_LIFT:
            f[_F_SET_N + ex - CLAMSHELL] -= 1

    def _pop(self):
        # One event per call, in order: the queued reps, then a finished set.
        if self._q_len:
            i = self._q_head
            f = self._f
            if f[_F_WHERE] == 1 and f[_F_SLOT] == i:
                return 0  # its down phase is not over yet
            j = _F_Q + _Q_SLOT * i
            self.rep_up_ms = f[j]
            self.rep_hold_ms = f[j + 1]
            self.rep_down_ms = f[j + 2] & 0xFFFF
            self.rep_faults = f[j + 2] >> 16
            self.rep_t_ms = f[j + 3]
            self.rep_exercise = f[j + 4]
            self.rep_rom_cdeg = f[j + 5]
            self.rep_duration_ms = f[j + 6]
            self._q_head = (i + 1) % _QUEUE
            self._q_len -= 1
            if self._reps_after:  # first rep after a reported set
                self._reps_after = False
                self.set_reps = 0
            self.set_reps += 1
            self.reps_total += 1
            return EV_REP
        if self._set_done:
            self._set_done = False
            f = self._f
            self.set_start_ms = f[_F_DONE]
            self.set_end_ms = f[_F_DONE + 1]
            self.set_exercise = f[_F_DONE + 2]
            self.set_reps = f[_F_DONE + 3]
            self.set_moved = f[_F_DONE + 4]
            self._reps_after = True
            return EV_SET
        return 0
