# How the band sits on the thigh, learned from what every wearer does anyway: standing still
# (gravity gives the thigh's long axis, and says the walk beside it was upright) and
# walking (the thigh swings forward and back about the hip's flexion axis, so what the band feels,
# in 100 ms means, moves in the sagittal plane). Which way is forward: the heel strikes as the
# thigh ends its forward swing, so the band's reading at the impacts (the jerkiest ticks) lies on
# the forward side of the mean of the strides around them. (Checked on HuGaDB's thigh walking,
# 17 people, both thighs, with need_standing off as its clips have none: the learned forward is
# within 30 deg of the sensor's z, which faces forward there, in 47 of the 48 recordings it is
# sure of, and within 60 in all 48.) And the thigh swings about a mean flexed a few degrees
# ahead of standing (in a stride it swings ~20-25 deg ahead of hanging and only ~10-15 behind),
# far more on stairs: with a standing beside the walk, the walking mean lies ahead of it. The
# two cues add up (where they disagree the stronger decides; where they cancel, the frame waits
# for more walking). At 20-25 Hz, where a heel strike's ~15 Hz ringing is above Nyquist and the
# impacts are faint, the lean makes forward sure.
# Forward and the thigh's axis give the lateral direction; the sensor's z (out of the skin: the
# board is worn face out) on the right of it is the right thigh, on the left of it the left one.
#
#   m = Mount(sample_rate_hz)
#   m.feed(t_ms, ax, ay, az)      # mg, the sensor's own axes; per sample, allocates nothing
#   m.sure, m.side                # side: 1 left, 2 right (replog.SIDES codes), 0 not known
#   m.apply(ax, ay, az)           # into m.out: the sample in the band frame (once sure)
#
# The band frame is the counter's: x along the thigh toward the knee, z lateral (out of the skin
# on the outer thigh), y = z x x. Per sample only bins are summed; per 100 ms tick small integer
# sums; the frame is solved (integers, bounded below MicroPython's small-int range) at most once
# a second while walking. A new estimate from a later walk replaces the frame in use: one that
# disagrees with it by more than 25 deg (restrap_cos) is a re-strap; one that agrees is the same
# mounting seen again (after 10, 20, 40, 80 s of each walk), so a band strapped on anew only a
# little turned, or one that slid on the thigh, is followed too.
TICK_MS = 100


def _isqrt(n):
    if n <= 0:
        return 0
    x = n
    y = (x + 1) >> 1
    while y < x:
        x = y
        y = (x + n // x) >> 1
    return x


def _unit(v, out):
    # v (ints) scaled to length 1024 into out; False if v is (near) zero
    m = max(abs(v[0]), abs(v[1]), abs(v[2]))
    if m == 0:
        return False
    s = 0
    while (m >> s) > 8191:
        s += 1
    a, b, c = v[0] >> s, v[1] >> s, v[2] >> s
    n = _isqrt(a * a + b * b + c * c)
    if n == 0:
        return False
    out[0] = a * 1024 // n
    out[1] = b * 1024 // n
    out[2] = c * 1024 // n
    return True


def _cross(a, b, out):
    # (a x b) >> 10 for unit vectors scaled 1024
    out[0] = (a[1] * b[2] - a[2] * b[1]) >> 10
    out[1] = (a[2] * b[0] - a[0] * b[2]) >> 10
    out[2] = (a[0] * b[1] - a[1] * b[0]) >> 10


def _dot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


class Mount:
    def __init__(self, sample_rate_hz):
        self.rate = sample_rate_hz
        # stillness: the tick mean moves by at most still_mg per tick for still_ticks ticks, and
        # the magnitude is 1 g within 15 % (no acceleration but gravity; an uncalibrated part
        # reads it a few % off, and a 2 % gain and 20 mg offset an axis put one lead-in at 0.895 g)
        self.still_mg = 60
        self.still_ticks = 10
        # walking: the tick mean moves by >= walk_mg a tick on average (L1): the swing and the
        # impacts of gait (HuGaDB thigh walking 800-1500 mg, our gait 400-550); an exercise on
        # the mat, even a brisk 30 deg leg lift in 0.6 s, ~100-150
        self.walk_mg = 250
        self.walk_min_ticks = 100  # 10 s of walking before the frame is solved
        self.near_ticks = 300  # standing within 30 s of the walk belongs to it
        # a swing with no standing beside it could be pedalling (the thigh swings in the same
        # plane, seated; HuGaDB's cycling gave 4 of 6 wrong frames from the walking mean):
        # the frame needs a standing. False only to study clips cut out of longer walks
        self.need_standing = True
        self.upright_cos = 962  # walking mean within 20 deg of standing (1024 * cos 20): upright
        # (walking flexes the thigh 3-10 deg on average; a bike saddle 30-60 deg)
        self.planar = 4  # the swing's variance along forward >= 4 x across it (a sagittal swing)
        self.swing_min = 300  # forward variance >= ~140 mg rms (mg^2 >> 6): a real swing
        self.ahead_mg = 60  # impacts and lean >= 60 mg (~3.4 deg) ahead: forward
        # both heel strikes of a stride, and their ringing, reach the thigh: >= 12 % of the
        # walking ticks hold an impact, or there is nothing to tell forward by (HuGaDB thigh
        # walking: 21-33 %). A share, so neither the sample rate nor the IMU's range moves it
        self.impact_share_pct = 12
        self.impact_pct = 150  # a tick whose jerk is >= 1.5 x the recent mean holds an impact
        self.restrap_cos = 906  # a later estimate > 25 deg off the frame in use replaces it
        self.out = [0, 0, 0]
        self.rot = [0] * 9  # rows x, y, z of the band frame in sensor axes, scaled 1024
        # scratch vectors: solving allocates nothing either
        self._xs, self._f, self._e1, self._e2 = [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]
        self._st, self._wk, self._lat, self._y = [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]
        self._c = [0] * 6  # covariance scratch
        self.reset()

    def reset(self):
        self.sure = False
        self.side = 0
        self.restraps = 0
        self.walk_s = 0  # seconds of walking behind the frame in use (every walk that agreed)
        self._side_s = 0  # seconds of the walk the thigh was told from
        self._t0 = None
        self._tb = 0
        self._k = 0  # ticks since the first sample
        self._n = 0
        self._sx = self._sy = self._sz = 0
        self._px = self._py = 0
        self._pz = 1000
        self._run = 0  # ticks of stillness in a row
        self._stx = self._sty = self._stz = 0  # the last standing-like stillness (mg)
        self._st_k = -100000
        self._act = 0  # activity: mean tick-to-tick change (mg, EMA over ~0.8 s)
        self._walk_end = -100000  # last walking tick
        self._j = 0  # this tick's sum of sample-to-sample change (mg, L1)
        self._lx = self._ly = self._lz = 0  # the last sample
        self._jbar = 0  # recent mean jerk per sample (EMA over ~1.6 s)
        self._ex = self._ey = self._ez = 0  # the recent mean reading (mg, EMA over ~3 s)
        self._e_ok = False
        self._bout_start = 0
        self._new_bout()

    def _new_bout(self):
        self._wn = 0
        self._bout_s = 0  # seconds of this walk the frame in use was solved from
        self._rx = self._ry = self._rz = 0  # reference: the bout's first tick
        self._dx = self._dy = self._dz = 0  # sums of (tick - ref)
        self._xx = self._xy = self._xz = self._yy = self._yz = self._zz = 0  # of products >> 6
        self._ix = self._iy = self._iz = 0  # sums of (tick - recent mean) at impacts
        self._ni = 0

    # -- per sample ---------------------------------------------------------------------------
    def feed(self, t_ms, ax, ay, az):
        if self._t0 is None:
            self._t0 = t_ms
        d = t_ms - self._t0
        while d - self._tb >= TICK_MS:
            self._tick()
            self._tb += TICK_MS
        if self._n or self._k:
            self._j += abs(ax - self._lx) + abs(ay - self._ly) + abs(az - self._lz)
        self._lx = ax
        self._ly = ay
        self._lz = az
        self._sx += ax
        self._sy += ay
        self._sz += az
        self._n += 1

    def apply(self, ax, ay, az):
        r = self.rot
        o = self.out
        o[0] = (r[0] * ax + r[1] * ay + r[2] * az) >> 10
        o[1] = (r[3] * ax + r[4] * ay + r[5] * az) >> 10
        o[2] = (r[6] * ax + r[7] * ay + r[8] * az) >> 10
        return o

    # -- per tick -----------------------------------------------------------------------------
    def _tick(self):
        n = self._n
        self._k += 1
        if n == 0:
            return
        x, y, z = self._sx // n, self._sy // n, self._sz // n
        jerk = self._j // n
        self._sx = self._sy = self._sz = self._j = 0
        self._n = 0
        impact = jerk * 100 >= self._jbar * self.impact_pct
        self._jbar += (jerk - self._jbar) >> 4
        moved = abs(x - self._px) + abs(y - self._py) + abs(z - self._pz)
        self._px, self._py, self._pz = x, y, z
        self._act += (moved - self._act) >> 3
        g2 = x * x + y * y + z * z
        if moved <= self.still_mg and 722500 <= g2 <= 1322500:
            self._run += 1
            if self._run >= self.still_ticks:
                self._stx, self._sty, self._stz = x, y, z
                self._st_k = self._k
                if self._run == self.still_ticks and self._wn >= self.walk_min_ticks \
                        and self._k - self._walk_end <= self.near_ticks:
                    self._solve()  # standing after a walk
        else:
            self._run = 0
        if self._act >= self.walk_mg:
            if self._k - self._walk_end > 20:  # 2 s without walking: a new bout
                self._new_bout()
                self._bout_start = self._k
            self._walk_end = self._k
            self._add(x, y, z, impact)
            if self._wn >= self.walk_min_ticks and self._wn % 10 == 0:
                self._solve()  # (standing before this walk, if any, gives the thigh's axis)
        if self._e_ok:
            self._ex += (x - self._ex) >> 5
            self._ey += (y - self._ey) >> 5
            self._ez += (z - self._ez) >> 5
        else:
            self._ex, self._ey, self._ez = x, y, z
            self._e_ok = True

    def _add(self, x, y, z, impact):
        if self._wn >= 1200:  # 2 min of walking is plenty (and keeps the sums small ints)
            return
        if self._wn == 0:
            self._rx, self._ry, self._rz = x, y, z
        dx = max(-2047, min(2047, x - self._rx))
        dy = max(-2047, min(2047, y - self._ry))
        dz = max(-2047, min(2047, z - self._rz))
        self._wn += 1
        self._dx += dx
        self._dy += dy
        self._dz += dz
        self._xx += (dx * dx) >> 6
        self._xy += (dx * dy) >> 6
        self._xz += (dx * dz) >> 6
        self._yy += (dy * dy) >> 6
        self._yz += (dy * dz) >> 6
        self._zz += (dz * dz) >> 6
        if impact:  # how far from the mean of the strides around it (not the bout's: on a
            # walk with stairs in it the impacts, softer on the stairs, would lean back)
            self._ix += max(-2047, min(2047, x - self._ex))
            self._iy += max(-2047, min(2047, y - self._ey))
            self._iz += max(-2047, min(2047, z - self._ez))
            self._ni += 1

    # -- solving the frame (at most once a second while walking) --------------------------------
    def _quad(self, a, b):
        # a' C b for unit vectors scaled 1024, C in mg^2 >> 6: the result in the same units
        c = self._c
        t0 = (c[0] * b[0] + c[1] * b[1] + c[2] * b[2]) >> 10
        t1 = (c[1] * b[0] + c[3] * b[1] + c[4] * b[2]) >> 10
        t2 = (c[2] * b[0] + c[4] * b[1] + c[5] * b[2]) >> 10
        return (a[0] * t0 + a[1] * t1 + a[2] * t2) >> 10

    def _solve(self):
        xs = self._xs  # (one by one: a 4-tuple assignment allocates on MicroPython)
        f = self._f
        e1 = self._e1
        e2 = self._e2
        n = self._wn
        # the walking mean (up) and the standing up: upright?
        mx = self._rx + self._dx // n
        my = self._ry + self._dy // n
        mz = self._rz + self._dz // n
        stand = self._st
        stand[0], stand[1], stand[2] = self._stx, self._sty, self._stz
        walk = self._wk
        walk[0], walk[1], walk[2] = mx, my, mz
        if not _unit(walk, walk) or self._ni * 100 < self.impact_share_pct * n:
            return
        near = self._bout_start - self._st_k <= self.near_ticks or \
            self._st_k - self._walk_end <= self.near_ticks
        upright = near and _unit(stand, stand) and _dot(stand, walk) >> 10 >= self.upright_cos
        if upright:
            xs[0], xs[1], xs[2] = -stand[0], -stand[1], -stand[2]  # toward the knee: down
        elif not self.need_standing:
            xs[0], xs[1], xs[2] = -walk[0], -walk[1], -walk[2]
        else:
            return  # no standing beside this swing, upright like it: a chair, a bike, a clip
        # covariance of the swing about its mean (mg^2 >> 6)
        c = self._c
        ax, ay, az = self._dx // n, self._dy // n, self._dz // n
        c[0] = self._xx // n - ((ax * ax) >> 6)
        c[1] = self._xy // n - ((ax * ay) >> 6)
        c[2] = self._xz // n - ((ax * az) >> 6)
        c[3] = self._yy // n - ((ay * ay) >> 6)
        c[4] = self._yz // n - ((ay * az) >> 6)
        c[5] = self._zz // n - ((az * az) >> 6)
        # a basis of the plane across the thigh: e1 from the sensor axis least along it
        i = 0
        if abs(xs[1]) < abs(xs[i]):
            i = 1
        if abs(xs[2]) < abs(xs[i]):
            i = 2
        e1[0] = e1[1] = e1[2] = 0
        e1[i] = 1024
        k = _dot(e1, xs) >> 10
        e1[0] -= (k * xs[0]) >> 10
        e1[1] -= (k * xs[1]) >> 10
        e1[2] -= (k * xs[2]) >> 10
        if not _unit(e1, e1):
            return
        _cross(xs, e1, e2)
        s11 = self._quad(e1, e1)
        s12 = self._quad(e1, e2)
        s22 = self._quad(e2, e2)
        half = (s11 - s22) >> 1
        root = _isqrt(half * half + s12 * s12)
        l1 = ((s11 + s22) >> 1) + root
        l2 = ((s11 + s22) >> 1) - root
        if l1 < self.swing_min or l1 < self.planar * max(l2, 0):
            return  # no clear swing in one plane
        # the eigenvector of l1: (s12, l1 - s11) or (l1 - s22, s12), the better conditioned
        if abs(l1 - s11) + abs(s12) >= abs(l1 - s22) + abs(s12):
            p, q = s12, l1 - s11
        else:
            p, q = l1 - s22, s12
        f[0] = p * e1[0] + q * e2[0]
        f[1] = p * e1[1] + q * e2[1]
        f[2] = p * e1[2] + q * e2[2]
        m = max(abs(p), abs(q))
        s = 0
        while (m >> s) > 4095:
            s += 1
        f[0] >>= s
        f[1] >>= s
        f[2] >>= s
        if not _unit(f, f):
            return
        # forward: the impacts come at the end of the forward swing
        ni = self._ni
        ahead = (f[0] * (self._ix // ni) + f[1] * (self._iy // ni) + f[2] * (self._iz // ni)) >> 10
        if upright:  # and the thigh swings about a flexed mean: its walk leans ahead of standing
            lean = (f[0] * (mx - self._stx) + f[1] * (my - self._sty)
                    + f[2] * (mz - self._stz)) >> 10
            ahead += lean
        if abs(ahead) < self.ahead_mg:
            return
        if ahead < 0:
            f[0], f[1], f[2] = -f[0], -f[1], -f[2]
        lat = self._lat
        _cross(xs, f, lat)  # down x forward = the wearer's right
        # the sensor's z (out of the skin) within 55 deg of the right: the right thigh; of the
        # left: the left; else the band sits near the front or back and cannot tell
        side = 2 if lat[2] > 587 else 1 if lat[2] < -587 else 0
        if side == 1:
            lat[0], lat[1], lat[2] = -lat[0], -lat[1], -lat[2]  # lateral on the left thigh
        secs = n * TICK_MS // 1000
        if self.sure:
            r = self.rot
            if (xs[0] * r[0] + xs[1] * r[1] + xs[2] * r[2]) >> 10 >= self.restrap_cos and \
                    (lat[0] * r[6] + lat[1] * r[7] + lat[2] * r[8]) >> 10 >= self.restrap_cos:
                if secs < 2 * self._bout_s:
                    return  # the frame in use still holds (until this walk is twice as long)
                # the same mounting: this walk's estimate, finer or of a band that slid a little
                # on the thigh (a later walk of the same length counts too: it is newer)
                self.walk_s += secs - self._bout_s
                if side != self.side and secs <= self._side_s:
                    # the same frame on the other thigh is this walk's forward read the other
                    # way (a band moved over to the other thigh the same way up is rarer): the
                    # longer walk says which
                    side = self.side
            else:
                self.restraps += 1
                self.walk_s = secs
                self._side_s = 0
        else:
            self.walk_s = secs
        self._bout_s = secs
        if side != self.side or secs > self._side_s:
            self._side_s = secs  # (the walk the thigh was told from)
        y = self._y  # y = z x x
        _cross(lat, xs, y)
        r = self.rot
        r[0], r[1], r[2] = xs[0], xs[1], xs[2]
        r[3], r[4], r[5] = y[0], y[1], y[2]
        r[6], r[7], r[8] = lat[0], lat[1], lat[2]
        self.side = side
        self.sure = True

    # -- kept on flash (written beside, then renamed: a power cut leaves the old or the new) ------
    def save(self, path):
        import json

        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"rot": self.rot, "side": self.side, "walk_s": self.walk_s,
                       "restraps": self.restraps}, f)
        import os

        os.rename(tmp, path)

    def load(self, path):
        """The mounting learned before this boot, if the file holds a sound one: True."""
        import json

        try:
            with open(path) as f:
                d = json.load(f)
            rot, side = d["rot"], d["side"]
            ok = len(rot) == 9 and side in (0, 1, 2)
            for k in range(3):  # unit rows (1024 +- 3 %)
                n2 = rot[3 * k] ** 2 + rot[3 * k + 1] ** 2 + rot[3 * k + 2] ** 2
                ok = ok and 980000 <= n2 <= 1116000
        except (OSError, ValueError, KeyError, TypeError):
            return False
        if not ok:
            return False
        for k in range(9):
            self.rot[k] = int(rot[k])
        self.side = side
        self.walk_s = int(d.get("walk_s", 0))
        self.restraps = int(d.get("restraps", 0))
        self.sure = True
        return True
