# Feeds integer samples through the band's counter and collects its events as flat int lists.
# The one driving loop both runtimes run (CPython replay and MicroPython parity/bench), so their
# results can only differ if the counter itself behaves differently.
REP_FIELDS = 9  # t_ms, exercise, rom_cdeg, duration_ms, set_reps, up, hold, down ms, faults
SET_FIELDS = 6  # start_ms, end_ms, reps, exercise, moved, reps collected before it


def drive(counter_mod, rate_hz, axes_known, mode, t, ax, ay, az, gx, gy, gz, reps, sets,
          mount_mod=None, params=None):
    """`mount_mod` (axes unknown): the band learns its mounting as it goes (firmware/mount.py);
    once it is sure, and no set is open, counting goes on in the learned band frame. `params`:
    the counter's Params (a prescription), else its defaults."""
    c = counter_mod.Counter(rate_hz, axes_known, mode, params)
    m = mount_mod.Mount(rate_hz) if mount_mod is not None and not axes_known else None
    learned = False
    n = len(t)
    i = 0
    while True:
        if i < n:
            x, y, z = ax[i], ay[i], az[i]
            u, v, w = gx[i], gy[i], gz[i]
            if m is not None:
                m.feed(t[i], x, y, z)
                if not learned and m.sure and not (c._in_set or c._held):
                    while _collect(counter_mod, c, c.finish(t[i]), reps, sets):
                        pass
                    if params is None:
                        params = counter_mod.Params()
                    if not params.forward_y:  # (a side given overrides the learned one)
                        params.forward_y = counter_mod.forward_y(m.side)
                    c = counter_mod.Counter(rate_hz, True, mode, params)  # the learned frame
                    learned = True
                if learned:
                    o = m.apply(u, v, w)
                    u, v, w = o[0], o[1], o[2]
                    o = m.apply(x, y, z)
                    x, y, z = o[0], o[1], o[2]
            ev = c.feed(t[i], x, y, z, u, v, w)
            i += 1
        else:
            ev = c.finish(t[n - 1])
            if not ev:
                break
        _collect(counter_mod, c, ev, reps, sets)
    return c


def feed_all(c, t, ax, ay, az, gx, gy, gz, on_event, after=None):
    """Every sample through counter `c`, then its finish until it is quiet: `on_event(ev)` for
    each event, `after(i)` after sample i (what the host's plot and label read as they go)."""
    n = len(t)
    for i in range(n):
        ev = c.feed(t[i], ax[i], ay[i], az[i], gx[i], gy[i], gz[i])
        if ev:
            on_event(ev)
        if after is not None:
            after(i)
    if n:
        drain(c, t[n - 1], on_event)


def drain(c, t_ms, on_event):
    """The counter's finish at `t_ms` until it has nothing more to say (an open rep, the open
    set): `on_event(ev)` for each."""
    while True:
        ev = c.finish(t_ms)
        if not ev:
            return
        on_event(ev)


def _collect(counter_mod, c, ev, reps, sets):
    if ev == counter_mod.EV_REP:
        reps.append(c.rep_t_ms)
        reps.append(c.rep_exercise)
        reps.append(c.rep_rom_cdeg)
        reps.append(c.rep_duration_ms)
        reps.append(c.set_reps)
        reps.append(c.rep_up_ms)
        reps.append(c.rep_hold_ms)
        reps.append(c.rep_down_ms)
        reps.append(c.rep_faults)
    elif ev == counter_mod.EV_SET:
        sets.append(c.set_start_ms)
        sets.append(c.set_end_ms)
        sets.append(c.set_reps)
        sets.append(c.set_exercise)
        sets.append(c.set_moved)
        sets.append(len(reps) // REP_FIELDS)  # (its reps are the set_reps ones just before)
    return ev


def load(path):
    # A trace packed by host_tools.traces.replay.pack: int32 header (n, rate, axes_known, mode),
    # then
    # the 7 columns t, ax, ay, az, gx, gy, gz, n int32 each (little endian).
    from array import array

    f = open(path, "rb")
    hdr = array("i", bytearray(16))
    f.readinto(hdr)
    n = hdr[0]
    cols = []
    for _ in range(7):
        a = array("i", bytearray(4 * n))
        f.readinto(a)
        cols.append(a)
    f.close()
    return hdr[1], hdr[2] == 1, hdr[3], cols
