# Streaming rep counter for clamshells and side-lying leg lifts; the same source runs on the band
# (MicroPython) and on the host (CPython replay). Integer arithmetic only: nothing allocates per sample.
#
# API (the app, replay, the virtual band and the benchmarks rely on it):
#   c = Counter(sample_rate_hz, axes_known=True, mode=AUTO)
#   ev = c.feed(t_ms, ax_mg, ay_mg, az_mg, gx_dds, gy_dds, gz_dds)  # ints; gyro 0.1 deg/s, 0 if none
#   ev = c.finish(t_ms)      # end of data: closes the open set; call until it returns 0
# Each call returns at most one event, EV_REP or EV_SET (0 if none); queued events follow on the
# next calls, in order (a set's reps, then the set).
#   if ev & EV_REP: c.rep_t_ms, c.rep_exercise, c.rep_rom_cdeg, c.rep_duration_ms, c.set_reps
#   if ev & EV_SET: c.set_start_ms, c.set_end_ms, c.set_reps, c.set_exercise
# Accelerations are in the band frame when axes_known (x toward the knee, z out of the skin).
#
# How it counts (see README, "The counter"):
# 1. Samples are averaged into 100 ms bins, so everything after runs at a fixed 10 Hz tick whatever
#    the sample rate (20-200 Hz) and however samples jitter or drop.
# 2. The bin average is normalised to a unit gravity vector g (milli-g, |g| = 1000) and smoothed.
# 3. A slow mean m and covariance C of g (time constant 6.4 s) give the axis along which gravity
#    swings (C's principal eigenvector u, one power-iteration step a tick). s = g.u is a signed
#    1-D signal that needs no knowledge of how the sensor sits on the thigh.
# 4. A hysteresis detector finds alternating extremes of s; a rep is rest -> top -> back to rest.
#    Rest is where the set started (axes unknown) or the lower-knee side (axes known).
# 5. With the band frame known, a rep must start with the outer thigh facing up (lying on the
#    side, band on the top leg) and must raise the knee (x goes up): this rejects supine, prone,
#    seated and standing exercises and the bottom leg. The share of the swing along y tells
#    clamshells (thigh rolls about its long axis) from leg lifts (pure abduction).
# 6. Reps are held back until a set has MIN_SET_REPS of them, so a single swing (rolling over,
#    adjusting the band) never counts.
try:
    from micropython import const  # type: ignore
except ImportError:  # CPython
    def const(x):
        return x

AUTO = const(0)
CLAMSHELL = const(1)
LEG_LIFT = const(2)
MODE_NAMES = ("auto", "clamshell", "leg_lift")
# A rep's exercise; "unknown" when the axes are unknown and the caller did not fix the exercise.
EXERCISE_NAMES = ("unknown", "clamshell", "leg_lift")

EV_REP = const(1)
EV_SET = const(2)

_TICK_MS = const(100)  # internal rate: 10 Hz
_K_SLOW = const(6)  # slow mean/covariance time constant: 2**6 ticks = 6.4 s
_HYST_MG = const(60)  # an extreme is confirmed once s retreats this far (~3.4 deg), or a third of the last swing
_HYST_MAX_MG = const(150)  # ~8.6 deg
_ROM_MIN_MG = const(80)  # smallest rep: chord of the gravity swing (~4.6 deg)
_RETURN_PCT = const(60)  # a rep ends when s has come back this share of the swing,
_RETURN_MIN_PCT = const(35)  # or this share, if s then turns up again
_REP_MIN_MS = const(600)
_REP_MAX_MS = const(25000)
_IDLE_MS = const(12000)  # no swing for this long ends the set
_MIN_SET_REPS = const(2)
_QUEUE = const(8)  # reps waiting to be read, one per feed() call
_QUIET = const(20)  # total variance below ~(18 mg)^2 (1 deg rms): not moving (axes unknown)
_ALONG_PCT = const(70)  # axes unknown: a rep's motion lies this much along one axis
_UP_MIN_MG = const(500)
_FLAT_MG = const(40)  # axes known: still = knee height within ~2.3 deg ...
_SETTLE_MS = const(500)  # ... for half a second
_SWING_MAX_MG = const(1250)  # a swing over ~77 deg is a change of posture, not a rep  # axes known: rest z >= 0.5 g (outer thigh faces up, within 60 deg)
_KNEE_PCT = const(30)  # axes known: x must rise by >= 30 % of the swing
_CLAM_PCT = const(60)  # axes known: |dy| >= 60 % of dx over the set -> clamshell


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


class Counter:
    def __init__(self, sample_rate_hz, axes_known=True, mode=AUTO):
        if not 20 <= sample_rate_hz <= 200:
            raise ValueError("sample rate must be 20..200 Hz")
        if mode not in (AUTO, CLAMSHELL, LEG_LIFT):
            raise ValueError("mode must be AUTO, CLAMSHELL or LEG_LIFT")
        self.sample_rate_hz = sample_rate_hz
        self.axes_known = axes_known
        self.mode = mode
        # Reps held back until the set is confirmed, and reps waiting to be read (a ring).
        self._h_t = [0] * _MIN_SET_REPS
        self._h_rom = [0] * _MIN_SET_REPS
        self._h_dur = [0] * _MIN_SET_REPS
        self._q_t = [0] * _QUEUE
        self._q_ex = [0] * _QUEUE
        self._q_rom = [0] * _QUEUE
        self._q_dur = [0] * _QUEUE
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
        self.signal_mg = 0  # s, for plots
        self.reps_total = 0
        self.reps_dropped = 0
        # 100 ms bins
        self._bin = -1
        self._sx = 0
        self._sy = 0
        self._sz = 0
        self._n = 0
        self._started = False
        self._mag = 1000
        # smoothed unit gravity, Q4 (mg * 16)
        self._gx = 0
        self._gy = 0
        self._gz = 0
        # slow mean and covariance accumulators (value = acc >> _K_SLOW); covariance in 16 mg^2
        self._mx = 0
        self._my = 0
        self._mz = 0
        self._cxx = 0
        self._cyy = 0
        self._czz = 0
        self._cxy = 0
        self._cxz = 0
        self._cyz = 0
        # resting gravity (axes unknown), followed while quiet: s is the swing away from it
        self._rx = 0
        self._ry = 0
        self._rz = 0
        # swing axis, Q10
        self._ux = 1024
        self._uy = 0
        self._uz = 0
        self._reset_detector()
        self._settling = self.axes_known  # axes known: wait for stillness on the side
        self._anchored = False  # axes unknown: the rest is the quiet gravity (s = 0)
        self._along_pct = 100
        self._anchor = 0
        self._anchor_t = 0
        self._in_set = False
        self._set_ex = 0
        self._sum_dx = 0
        self._sum_dy = 0
        self._set_start = 0
        self._set_n = 0
        self._n_held = 0
        self._last_rep_end = 0
        self._q_head = 0
        self._q_len = 0
        self._set_done = False
        self._done_start = 0
        self._done_end = 0
        self._done_ex = 0
        self._done_n = 0
        self._reps_after = False

    def _reset_detector(self):
        self._trend = 0  # 0 unknown, 1 rising (tracking a top), -1 falling
        self._hi = -100000
        self._lo = 100000
        self._hi_t = 0
        self._lo_t = 0
        self._hi_x = 0  # gravity at the running extremes
        self._hi_y = 0
        self._hi_z = 0
        self._lo_x = 0
        self._lo_y = 0
        self._lo_z = 0
        self._rest_type = 0  # +1: rest is a maximum of s, -1: a minimum, 0: not known yet
        self._e_v = 0  # the last confirmed extreme
        self._e_kind = 0
        self._last_ext_t = 0
        self._hyst = _HYST_MG
        # last confirmed rest and top: value of s, time, gravity
        self._r_v = 0
        self._r_t = 0
        self._r_x = 0
        self._r_y = 0
        self._r_z = 0
        self._has_rest = False
        self._near_t = 0
        self._leave_t = 0
        self._t_leave = 0
        self._hi_leave = 0
        self._lo_leave = 0
        self._t_v = 0
        self._t_t = 0
        self._t_x = 0
        self._t_y = 0
        self._t_z = 0
        self._has_top = False

    def _settle(self, t, s, x, y, z):
        # Reps start from stillness on the side: once the knee height has stayed within
        # _FLAT_MG for _SETTLE_MS, that is the rest the first rep starts from.
        d = s - self._anchor
        if d > _FLAT_MG or d < -_FLAT_MG or z < _UP_MIN_MG:
            self._anchor = s
            self._anchor_t = t
        elif t - self._anchor_t >= _SETTLE_MS:
            self._settling = False
            self._store_rest(s, t, x, y, z)
            self._e_kind = -1
            self._e_v = s
            self._last_ext_t = t
            self._trend = 1
            self._hi = s
            self._hi_t = t
            self._hi_leave = t
            self._hi_x = x
            self._hi_y = y
            self._hi_z = z

    def _restart_detector(self):
        # Forget the extremes (not the set): the next swing is judged afresh.
        self._trend = 0
        self._hi = -100000
        self._lo = 100000
        self._e_kind = 0
        self._has_top = False
        self._hyst = _HYST_MG

    def feed(self, t_ms, ax, ay, az, gx=0, gy=0, gz=0):
        # Returns at most one event per call (EV_REP or EV_SET); queued ones follow on later calls.
        b = t_ms // _TICK_MS
        if b == self._bin:
            self._sx += ax
            self._sy += ay
            self._sz += az
            self._n += 1
        else:
            if self._n:
                self._tick(self._bin * _TICK_MS + _TICK_MS // 2)
            self._bin = b
            self._sx = ax
            self._sy = ay
            self._sz = az
            self._n = 1
        if self._q_len or self._set_done:
            return self._pop()
        return 0

    def finish(self, t_ms):
        # End of data: closes the open set. Call until it returns 0 to drain every event.
        if self._n:
            self._tick(self._bin * _TICK_MS + _TICK_MS // 2)
            self._n = 0
        if self._in_set:
            self._end_set()
        return self._pop()

    def _tick(self, t):
        n = self._n
        x = self._sx // n
        y = self._sy // n
        z = self._sz // n
        mag = _isqrt(x * x + y * y + z * z, self._mag)
        if mag < 300:  # free fall or garbage: keep the last direction
            self._idle_check(t)
            return
        self._mag = mag
        x = x * 1000 // mag
        y = y * 1000 // mag
        z = z * 1000 // mag
        if not self._started:
            self._started = True
            self._gx = x << 4
            self._gy = y << 4
            self._gz = z << 4
            self._mx = x << _K_SLOW
            self._my = y << _K_SLOW
            self._mz = z << _K_SLOW
        self._gx += ((x << 4) - self._gx) >> 1
        self._gy += ((y << 4) - self._gy) >> 1
        self._gz += ((z << 4) - self._gz) >> 1
        x = self._gx >> 4
        y = self._gy >> 4
        z = self._gz >> 4
        # slow mean and covariance
        self._mx += x - (self._mx >> _K_SLOW)
        self._my += y - (self._my >> _K_SLOW)
        self._mz += z - (self._mz >> _K_SLOW)
        dx = x - (self._mx >> _K_SLOW)
        dy = y - (self._my >> _K_SLOW)
        dz = z - (self._mz >> _K_SLOW)
        self._cxx += ((dx * dx) >> 4) - (self._cxx >> _K_SLOW)
        self._cyy += ((dy * dy) >> 4) - (self._cyy >> _K_SLOW)
        self._czz += ((dz * dz) >> 4) - (self._czz >> _K_SLOW)
        self._cxy += ((dx * dy) >> 4) - (self._cxy >> _K_SLOW)
        self._cxz += ((dx * dz) >> 4) - (self._cxz >> _K_SLOW)
        self._cyz += ((dy * dz) >> 4) - (self._cyz >> _K_SLOW)
        if self.axes_known:
            s = x  # knee height: x of the unit gravity grows as the knee rises
            if z < _UP_MIN_MG:
                # not lying on the side with the band up: no rep can start or end here, and the
                # way into the posture (lying down: a 90 deg swing) is not a swing to measure;
                # getting up ends the set
                self._restart_detector()
                self._settling = True
                self._end_set()
            if self._settling:
                self._settle(t, s, x, y, z)
                self.signal_mg = s
                self._idle_check(t)
                return
        else:
            if not self._power_step():
                self._rx = x  # quiet: gravity here is the resting position
                self._ry = y
                self._rz = z
                if not self._has_top:
                    # at rest (s = 0 by definition): the next swing away from here is a rep's
                    # top, whichever way it goes (old extremes and rests are in stale units)
                    self._restart_detector()
                    self._rest_type = 0
                    self._store_rest(0, t, x, y, z)
                    self._e_v = 0
                    self._anchored = True
            s = ((x - self._rx) * self._ux + (y - self._ry) * self._uy + (z - self._rz) * self._uz) >> 10
        self.signal_mg = s
        self._detect(t, s, x, y, z)

    def _power_step(self):
        # One power-iteration step u <- C u / |C u|: u follows C's principal axis, keeping its sign.
        # Quiet (False) when the total variance (trace of C, the same however the sensor sits)
        # is small; judging it by |C u| instead would call the first swing "quiet" whenever u
        # starts out across the swing, and the rest would follow the leg up.
        cxx = self._cxx >> _K_SLOW
        cyy = self._cyy >> _K_SLOW
        czz = self._czz >> _K_SLOW
        if cxx + cyy + czz < _QUIET:
            return False
        cxy = self._cxy >> _K_SLOW
        cxz = self._cxz >> _K_SLOW
        cyz = self._cyz >> _K_SLOW
        ux = self._ux
        uy = self._uy
        uz = self._uz
        vx = (cxx * ux + cxy * uy + cxz * uz) >> 10
        vy = (cxy * ux + cyy * uy + cyz * uz) >> 10
        vz = (cxz * ux + cyz * uy + czz * uz) >> 10
        k = 0  # keep the squares small ints (31 bits on the band)
        while vx > 16383 or vx < -16383 or vy > 16383 or vy < -16383 or vz > 16383 or vz < -16383:
            vx >>= 1
            vy >>= 1
            vz >>= 1
            k += 1
        nv = _isqrt(vx * vx + vy * vy + vz * vz, 1024)
        if (nv << k) * 8 < cxx + cyy + czz:
            # u lies across the motion (|C u| < trace / 8): start again from C's largest column
            if cxx >= cyy and cxx >= czz:
                vx = cxx
                vy = cxy
                vz = cxz
            elif cyy >= czz:
                vx = cxy
                vy = cyy
                vz = cyz
            else:
                vx = cxz
                vy = cyz
                vz = czz
            if ((vx * ux) >> 10) + ((vy * uy) >> 10) + ((vz * uz) >> 10) < 0:
                vx = -vx  # keep the sign of s: the old u's side
                vy = -vy
                vz = -vz
            k = 0
            while vx > 16383 or vx < -16383 or vy > 16383 or vy < -16383 or vz > 16383 or vz < -16383:
                vx >>= 1
                vy >>= 1
                vz >>= 1
                k += 1
            nv = _isqrt(vx * vx + vy * vy + vz * vz, 1024)
        if nv > 0:
            self._ux = (vx << 10) // nv
            self._uy = (vy << 10) // nv
            self._uz = (vz << 10) // nv
        # how much of the motion is along u (|C u| / trace ~ the top eigenvalue's share): near
        # 100 % for a swing about one axis, about 50 % for jitter in every direction
        self._along_pct = (nv << k) * 100 // (cxx + cyy + czz)
        return True

    def _detect(self, t, s, x, y, z):
        h = self._hyst
        d = s - self._r_v
        if -h <= d <= h:
            self._near_t = t  # at rest: a rep's duration counts from when s last was here
        if s > self._hi:
            self._hi = s
            self._hi_t = t
            self._hi_leave = self._near_t
            self._hi_x = x
            self._hi_y = y
            self._hi_z = z
        if s < self._lo:
            self._lo = s
            self._lo_t = t
            self._lo_leave = self._near_t
            self._lo_x = x
            self._lo_y = y
            self._lo_z = z
        if self._trend >= 0 and s < self._hi - h and (self._trend > 0 or self._hi - self._lo >= h):
            # a maximum is confirmed
            self._leave_t = self._hi_leave
            self._extreme(1, self._hi, self._hi_t, self._hi_x, self._hi_y, self._hi_z)
            self._trend = -1
            self._lo = s
            self._lo_t = t
            self._lo_leave = self._near_t
            self._lo_x = x
            self._lo_y = y
            self._lo_z = z
        elif self._trend <= 0 and s > self._lo + h:
            self._leave_t = self._lo_leave
            self._extreme(-1, self._lo, self._lo_t, self._lo_x, self._lo_y, self._lo_z)
            self._trend = 1
            self._hi = s
            self._hi_t = t
            self._hi_leave = self._near_t
            self._hi_x = x
            self._hi_y = y
            self._hi_z = z
        # a rep ends when s has come back most of the way from the top toward the rest
        if self._has_top and self._has_rest:
            sw = self._t_v - self._r_v
            back = self._t_v - s
            if sw < 0:
                sw = -sw
                back = -back
            if back * 100 >= sw * _RETURN_PCT:
                self._has_top = False
                self._rep_done(t)
        self._idle_check(t)

    def _extreme(self, kind, v, t, x, y, z):
        # Sorts confirmed extremes into rests and tops.
        prev_kind = self._e_kind
        sw = v - self._e_v
        if sw < 0:
            sw = -sw
        self._e_v = v
        self._e_kind = kind
        self._last_ext_t = t
        if prev_kind == 0 and not self._anchored:
            self._store_rest(v, t, x, y, z)  # provisional: where the first swing starts
            return
        # wobbles in a hold are smaller than a third of the swing; capped, so that lying down
        # (a 90 deg swing) does not hide the reps that follow
        h = sw // 3
        self._hyst = _HYST_MG if h < _HYST_MG else (_HYST_MAX_MG if h > _HYST_MAX_MG else h)
        if self.axes_known:
            self._rest_type = -1  # s is the knee height: rest is a minimum
        elif self._rest_type == 0:
            # The set starts from rest: its first swing away from there by a rep's size ends at
            # a top. Smaller wobbles about the rest before it leave the rest where it was. Both
            # s and the gravity chord must have moved that far: u may still be turning toward
            # the swing, so either alone can mislead.
            d = v - self._r_v
            dx = x - self._r_x
            dy = y - self._r_y
            dz = z - self._r_z
            if (-_ROM_MIN_MG < d < _ROM_MIN_MG
                    or dx * dx + dy * dy + dz * dz < _ROM_MIN_MG * _ROM_MIN_MG):
                if not self._anchored:  # (a quiet rest stays where it was)
                    self._store_rest(v, t, x, y, z)
                return
            self._rest_type = -kind
            self._anchored = False
        if kind == self._rest_type and not self.axes_known and (
                not self._in_set or self._set_n == 0):
            a = v - self._r_v
            b = self._t_v - self._r_v
            if (a if a > 0 else -a) > 2 * (b if b > 0 else -b):
                # Before any rep of the set counts: a "rest" twice as far from the rest as the
                # "top" was means that top was a wobble; the swings go the other way.
                self._rest_type = -kind
                self._n_held = 0
                self._in_set = False
        if kind == self._rest_type:
            if self._has_top and sw * 100 >= (self._t_v - self._r_v if self._t_v > self._r_v else self._r_v - self._t_v) * _RETURN_MIN_PCT:
                # came down part of the way and went up again: the rest level has moved
                self._has_top = False
                self._rep_done(t)
            self._store_rest(v, t, x, y, z)
        else:
            self._t_v = v
            self._t_t = t
            self._t_x = x
            self._t_y = y
            self._t_z = z
            self._t_leave = self._leave_t
            self._has_top = True

    def _store_rest(self, v, t, x, y, z):
        self._r_v = v
        self._r_t = t
        self._r_x = x
        self._r_y = y
        self._r_z = z
        if t > self._near_t:
            self._near_t = t
        self._has_rest = True
        self._has_top = False

    def _rep_done(self, t):
        dx = self._t_x - self._r_x
        dy = self._t_y - self._r_y
        dz = self._t_z - self._r_z
        c = _isqrt(dx * dx + dy * dy + dz * dz, 200)
        dur = t - self._t_leave
        if c < _ROM_MIN_MG or dur < _REP_MIN_MS or dur > _REP_MAX_MS:
            return
        if self.axes_known and (self._r_z < _UP_MIN_MG or dx * 100 < c * _KNEE_PCT):
            return  # not lying on the side with the band up, or the knee did not rise
        if not self.axes_known and self._along_pct < _ALONG_PCT:
            return  # the thigh shook in every direction: not a swing about one axis
        # arc length from chord: 2 asin(c/2) ~ c + c^3/24 (mrad), then centidegrees
        arc = c + (c * c // 1000) * c // 24000
        rom = arc * 573 // 100
        if not self._in_set:
            self._in_set = True
            self._set_start = self._t_leave  # when the leg left rest for the first rep
            self._set_n = 0
            self._n_held = 0
            self._sum_dx = 0
            self._sum_dy = 0
        self._last_rep_end = t
        ex = self.mode
        if self.axes_known and ex == AUTO:
            # A clamshell rolls the thigh about the body's long axis, so gravity moves along y about
            # as much as along x (cot of the hip flexion: 1 at 45 deg); a leg lift moves it along x.
            # Judged on the whole set so far: single reps wobble.
            self._sum_dx += dx
            self._sum_dy += dy if dy >= 0 else -dy
            ex = CLAMSHELL if self._sum_dy * 100 >= self._sum_dx * _CLAM_PCT else LEG_LIFT
        self._set_ex = ex
        if self._set_n + self._n_held < _MIN_SET_REPS - 1:
            i = self._n_held  # held back until the set is confirmed
            self._h_t[i] = self._t_t
            self._h_rom[i] = rom
            self._h_dur[i] = dur
            self._n_held = i + 1
            return
        for i in range(self._n_held):
            self._push(self._h_t[i], ex, self._h_rom[i], self._h_dur[i])
        self._n_held = 0
        self._push(self._t_t, ex, rom, dur)

    def _push(self, t, ex, rom, dur):
        if self._q_len == _QUEUE:  # the caller stopped reading events: drop the oldest, say so
            self._q_head = (self._q_head + 1) % _QUEUE
            self._q_len -= 1
            self.reps_dropped += 1
        i = (self._q_head + self._q_len) % _QUEUE
        self._q_t[i] = t
        self._q_ex[i] = ex
        self._q_rom[i] = rom
        self._q_dur[i] = dur
        self._q_len += 1
        self._set_n += 1

    def _pop(self):
        # One event per call, in order: the queued reps, then a finished set.
        if self._q_len:
            i = self._q_head
            self.rep_t_ms = self._q_t[i]
            self.rep_exercise = self._q_ex[i]
            self.rep_rom_cdeg = self._q_rom[i]
            self.rep_duration_ms = self._q_dur[i]
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
            self.set_start_ms = self._done_start
            self.set_end_ms = self._done_end
            self.set_exercise = self._done_ex
            self.set_reps = self._done_n
            self._reps_after = True
            return EV_SET
        return 0

    def _idle_check(self, t):
        if self._e_kind and t - self._last_ext_t > _IDLE_MS:
            # a pause ends the set; the next swing is judged afresh (the signal sits at rest)
            self._last_ext_t = t
            self._hyst = _HYST_MG
            if not self._has_top:  # (a top held this long waits for its return)
                if not self.axes_known and self._rest_type:
                    # the next set is judged afresh: its first extreme is where it starts from
                    # (not the other side of the last swing of this one)
                    self._rest_type = 0
                    self._e_kind = 0
                self._end_set()
        return 0

    def _end_set(self):
        self._n_held = 0  # a lone swing is not a set
        if not self._in_set:
            return
        self._in_set = False
        if self._set_n == 0:
            return
        self._set_done = True
        self._done_start = self._set_start
        self._done_end = self._last_rep_end
        self._done_ex = self._set_ex
        self._done_n = self._set_n
