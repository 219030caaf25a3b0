# Feeds integer samples through the band's counter and collects its events as flat int lists.
# The one driving loop both runtimes run (CPython replay and MicroPython parity/bench), so their
# results can only differ if the counter itself behaves differently.
REP_FIELDS = 9  # t_ms, exercise, rom_cdeg, duration_ms, set_reps, up, hold, down ms, faults
SET_FIELDS = 4  # start_ms, end_ms, reps, exercise


def drive(counter_mod, rate_hz, axes_known, mode, t, ax, ay, az, gx, gy, gz, reps, sets):
    c = counter_mod.Counter(rate_hz, axes_known, mode)
    ev_rep = counter_mod.EV_REP
    ev_set = counter_mod.EV_SET
    n = len(t)
    i = 0
    while True:
        if i < n:
            ev = c.feed(t[i], ax[i], ay[i], az[i], gx[i], gy[i], gz[i])
            i += 1
        else:
            ev = c.finish(t[n - 1])
            if not ev:
                break
        if ev == ev_rep:
            reps.append(c.rep_t_ms)
            reps.append(c.rep_exercise)
            reps.append(c.rep_rom_cdeg)
            reps.append(c.rep_duration_ms)
            reps.append(c.set_reps)
            reps.append(c.rep_up_ms)
            reps.append(c.rep_hold_ms)
            reps.append(c.rep_down_ms)
            reps.append(c.rep_faults)
        elif ev == ev_set:
            sets.append(c.set_start_ms)
            sets.append(c.set_end_ms)
            sets.append(c.set_reps)
            sets.append(c.set_exercise)
    return c


def load(path):
    # A trace packed by host_tools.replay.pack: int32 header (n, rate, axes_known, mode), then
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
