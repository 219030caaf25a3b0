"""Synthetic thigh-IMU sessions with labels, deterministic by seed, for tests and demos.

A session is a sequence of activities. Each sets the thigh's orientation over time as the
direction of "up" in the band frame (what an accelerometer at rest reads, in g): side-lying with
the band on the top leg reads +z, supine or seated +y, prone -y, standing -x. Exercises rotate the
thigh from there (a leg lift raises x; a clamshell raises x and y together, by the hip flexion;
a supine or prone leg raise raises x from +/-y). Walking adds a thigh swing and heel strikes.
The sensor then adds gain error, bias and noise, samples at 20-200 Hz with jitter and drops, and,
for `axes="unknown"`, sits at a random fixed rotation on the thigh.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from host_tools.errors import RepbandError
from host_tools.traces.traceio import (
    Labels,
    LabelSet,
    Trace,
    labels_path_for,
    write_labels,
    write_trace,
)

SIDE = np.array([0.0, 0.0, 1.0])  # band on the top leg, lying on the side
SUPINE = np.array([0.0, 1.0, 0.0])
PRONE = np.array([0.0, -1.0, 0.0])
STANDING = np.array([-1.0, 0.0, 0.0])
BOTTOM_LEG = np.array([0.0, 0.0, -1.0])

PARTIAL_MIN_DEG = 8  # a partial rep smaller than this is not generated (nobody would count it)
SCENARIOS = ("mixed", "leg_lift", "clamshell", "distractors")


@dataclass
class _Timeline:
    rate_hz: float
    rng: np.random.Generator
    # segments of time (s), up vectors (n,3), angular rate (n,3) rad/s, linear acc (n,3) g
    t_s: list
    up: list
    omega: list
    lin: list
    sets: list
    now: float = 0.0

    def segment(
        self, up: np.ndarray, omega: np.ndarray | None = None, lin: np.ndarray | None = None
    ):
        n = len(up)
        self.t_s.append(self.now + np.arange(n) / self.internal_hz)
        self.up.append(up)
        self.omega.append(np.zeros((n, 3)) if omega is None else omega)
        self.lin.append(np.zeros((n, 3)) if lin is None else lin)
        self.now += n / self.internal_hz

    internal_hz = 400.0

    def n(self, seconds: float) -> int:
        return max(1, int(round(seconds * self.internal_hz)))


def _normalise(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _rotate(base: np.ndarray, axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """`base` rotated by `angle` (radians, per sample) about the fixed unit `axis` (Rodrigues)."""
    axis = axis / np.linalg.norm(axis)
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    cross = np.cross(axis, base)
    return base * c + cross * s + np.outer(1 - c[:, 0], axis) * float(axis @ base)


def _rep_profile(
    tl: _Timeline, amp_rad: float, rise: float, hold: float, lower: float
) -> np.ndarray:
    up = 0.5 * (1 - np.cos(np.linspace(0, math.pi, tl.n(rise))))
    down = 0.5 * (1 + np.cos(np.linspace(0, math.pi, tl.n(lower))))
    wobble = 1 + 0.02 * tl.rng.standard_normal(tl.n(hold)).cumsum() / max(1, tl.n(hold)) ** 0.5
    return amp_rad * np.concatenate([up, np.clip(wobble, 0.9, 1.1), down])


def _still(tl: _Timeline, up: np.ndarray, seconds: float, tremor_deg: float = 0.3):
    n = tl.n(seconds)
    drift = np.radians(tremor_deg) * tl.rng.standard_normal((n, 3)).cumsum(0) / math.sqrt(n)
    tl.segment(_normalise(up + drift))


def _exercise_set(tl: _Timeline, kind: str, base: np.ndarray, reps: int, amp_deg: float,
                  tempo: float, label: str | None, name: str | None = None):
    """`reps` reps rotating `base`; the rotation axis and direction depend on `kind`."""
    rng = tl.rng
    if kind == "leg_lift":
        axis = np.array([0.0, 1.0, 0.0]) + rng.normal(0, 0.15, 3)  # abduction, some roll
    elif kind == "clamshell":
        # the thigh rolls about the body's long axis; in the band frame that axis is
        # (cos a, -sin a, 0) for hip flexion a, mirrored in y on the other leg
        flexion = math.radians(rng.uniform(35, 55))
        side = rng.choice([-1.0, 1.0])
        axis = np.array([math.cos(flexion), side * math.sin(flexion), 0.0])
    else:  # raises from supine/prone/bridge: about z
        axis = np.array([0.0, 0.0, 1.0])
    axis = axis / np.linalg.norm(axis)
    # direction that makes x (the knee) rise
    probe = _rotate(base, axis, np.array([0.1]))[0]
    if probe[0] < base[0]:
        axis = -axis
    start = tl.now
    _still(tl, base, rng.uniform(1.0, 2.5))
    tops = []
    detail = []
    for k in range(reps):
        amp = math.radians(amp_deg * rng.uniform(0.85, 1.15))
        full = amp
        if rng.random() < 0.08 and amp * 0.6 >= math.radians(PARTIAL_MIN_DEG):
            amp *= 0.6  # a partial rep: still a rep
        rise = rng.uniform(0.6, 1.6) / tempo
        hold = rng.choice([0.0, rng.uniform(0.3, 1.5), rng.uniform(2.0, 5.0)]) / tempo
        lower = rng.uniform(0.7, 1.8) / tempo
        angle = _rep_profile(tl, amp, rise, hold, lower)
        tops.append(tl.now + rise + hold / 2)
        detail.append(_truth(tl.now, rise, hold, lower, _clinical_deg(kind, base, axis, amp)))
        if amp < full:  # a partial rep is too small: by the range it left out (degrees)
            missing = _clinical_deg(kind, base, axis, full) - detail[-1]["rom_deg"]
            detail[-1]["faults"] = {"too_small": round(missing, 2)}
        rate = np.gradient(angle) * tl.internal_hz
        tl.segment(_rotate(base, axis, angle), np.outer(rate, axis))
        _still(tl, base, rng.uniform(0.4, 3.0) / tempo)
    end = tl.now
    _still(tl, base, rng.uniform(1.0, 2.0))
    if label is not None:
        tl.sets.append(LabelSet(label, int(start * 1000), int(end * 1000), reps,
                                [int(t * 1000) for t in tops], name, detail))


def _clinical_deg(kind: str, base: np.ndarray, axis: np.ndarray, amp_rad: float) -> float:
    """The clinical range of a rep turning `base` by `amp_rad` about `axis`: for a leg lift, hip
    abduction, the rise of the thigh's long axis (band x) above where it lay (the generated axis
    has some roll in it, which turns the thigh without raising the knee); for a clamshell, the
    knee opening, the turn about the trunk's long axis (which is the generated axis)."""
    if kind != "leg_lift":
        return abs(math.degrees(amp_rad))
    top = _rotate(base, axis, np.array([amp_rad]))[0]
    return math.degrees(math.asin(float(np.clip(top[0], -1, 1)))
                        - math.asin(float(np.clip(base[0], -1, 1))))


def _truth(start_s: float, rise: float, hold: float, lower: float, rom_deg: float) -> dict:
    """A rep's truth for the labels' rep_detail (trace-format.md): phases standstill to
    standstill in ms (the hold includes its wavering), and the clinical range in degrees."""
    return {"top_ms": int((start_s + rise + hold / 2) * 1000), "start_ms": int(start_s * 1000),
            "up_ms": round(rise * 1000), "hold_ms": round(hold * 1000),
            "down_ms": round(lower * 1000), "end_ms": int((start_s + rise + hold + lower) * 1000),
            "rom_deg": round(rom_deg, 2)}


# --- form faults at a clinically visible size (repband eval --form) -----------------------------

# the faults each exercise can show, as firmware/counter.py's FAULT_NAMES names them
FORM_FAULTS = {"leg_lift": ("too_small", "too_fast", "no_hold", "drift_forward"),
               "clamshell": ("too_small", "too_fast", "no_hold", "pelvis_roll")}
RX_S = (2.0, 2.0, 2.0)  # the prescription's up, hold, down (s): the counter's default Params


def _form_set(tl: _Timeline, kind: str, reps: int, amp_deg: float, rx: tuple[float, float, float],
              fault_share: float) -> LabelSet:
    """One set done to the prescription `rx` (up, hold, down s), some reps with one fault at a
    size a physiotherapist sees at once, the rest within the tolerance of a careful patient:
    - too_small: 40-50 % of the range left out (correct reps vary by +-10 %);
    - too_fast: the up, the down or both in 20-35 % of the prescribed time (correct: 80-130 %);
    - no_hold: 0-0.2 s at the top (correct: 80-130 % of the hold);
    - drift_forward (leg lift): the hip flexed 20-28 deg, so the lift turns about an axis that
      far off the band's y (correct: within 3 deg, plus the band turned up to 3 deg on the skin);
    - pelvis_roll (clamshell): the pelvis rolls back 15-25 deg as the knee opens and stays
      there for 2-3 reps, then rolls forward again on a lowering; the reps that start rolled
      have the fault (truth: their size in degrees).
    The truth of every rep goes into rep_detail, faults with their size."""
    rng = tl.rng
    up_s, hold_s, down_s = rx
    if kind == "leg_lift":
        turn = math.radians(rng.uniform(-3, 3))  # the band's own turn on the skin

        def axis_for(drift_rad: float) -> np.ndarray:
            # lying on the side, y forward (right thigh): a lift from a hip flexed by b turns
            # about the pelvis's front-back axis, seen from the band b off its y
            b = turn + drift_rad
            return np.array([math.sin(b), math.cos(b), 0.0])
    else:
        flexion = math.radians(rng.uniform(35, 55))
        side = rng.choice([-1.0, 1.0])
        clam = np.array([math.cos(flexion), side * math.sin(flexion), 0.0])
        if _rotate(SIDE, clam, np.array([0.1]))[0][0] < SIDE[0]:
            clam = -clam

        def axis_for(drift_rad: float) -> np.ndarray:
            return clam
    start = tl.now
    _still(tl, SIDE, rng.uniform(1.5, 2.5))
    tops, detail = [], []
    roll = 0.0  # the pelvis rolled back (rad), about the clamshell's own axis
    roll_left = 0  # reps until it rolls forward again
    after_small = False
    for k in range(reps):
        fault = None
        if (roll_left == 0 and k >= 2 and k < reps - 1 and not after_small
                and rng.random() < fault_share):
            fault = str(rng.choice(FORM_FAULTS[kind]))
        after_small = fault == "too_small"  # (two in a row: the set got smaller, not a fault)
        amp = math.radians(amp_deg * rng.uniform(0.9, 1.1))
        rise = up_s * rng.uniform(0.8, 1.3)
        hold = hold_s * rng.uniform(0.8, 1.3)
        lower = down_s * rng.uniform(0.8, 1.3)
        drift = math.radians(rng.normal(0, 1.5))
        faults: dict[str, float] = {}
        roll_to = roll
        if fault == "too_small":
            full = amp
            amp *= rng.uniform(0.5, 0.6)
        elif fault == "too_fast":
            which = rng.choice(["up", "down", "both"])
            if which in ("up", "both"):
                rise = up_s * rng.uniform(0.2, 0.35)
            if which in ("down", "both"):
                lower = down_s * rng.uniform(0.2, 0.35)
            faults["too_fast"] = round(min(rise / up_s, lower / down_s), 2)  # share of the time
        elif fault == "no_hold":
            hold = rng.uniform(0.0, 0.2)
            faults["no_hold"] = round(hold_s - hold, 2)  # seconds of the hold left out
        elif fault == "drift_forward":
            drift = math.radians(rng.uniform(20, 28))
            faults["drift_forward"] = round(math.degrees(drift), 2)
        elif fault == "pelvis_roll":
            roll_to = math.radians(rng.uniform(15, 25))
            roll_left = int(rng.integers(2, 4)) + 1
        if roll > 0:
            faults["pelvis_roll"] = round(math.degrees(roll), 2)
        if roll_left:
            roll_left -= 1
            if roll_left == 0:
                roll_to = 0.0  # rolls forward again as the knee closes
        axis = axis_for(drift)
        if _rotate(SIDE, axis, np.array([0.1]))[0][0] < SIDE[0]:
            axis = -axis
        n_up, n_hold, n_down = tl.n(rise), tl.n(hold), tl.n(lower)
        angle = _rep_profile(tl, amp, rise, hold, lower)
        # the pelvis: rolling back as the knee opens, forward as it closes (the same axis)
        pelvis = np.full(n_up + n_hold + n_down, roll)
        if roll_to > roll:
            pelvis[:n_up] += (roll_to - roll) * 0.5 * (1 - np.cos(np.linspace(0, math.pi, n_up)))
            pelvis[n_up:] = roll_to
        elif roll_to < roll:
            pelvis[n_up + n_hold:] = roll_to + (roll - roll_to) * 0.5 * (
                1 + np.cos(np.linspace(0, math.pi, n_down)))
        tops.append(tl.now + rise + hold / 2)
        d = _truth(tl.now, rise, hold, lower, _clinical_deg(kind, SIDE, axis, amp))
        if fault == "too_small":
            faults["too_small"] = round(_clinical_deg(kind, SIDE, axis, full) - d["rom_deg"], 2)
        if faults:
            d["faults"] = faults
        detail.append(d)
        if kind == "clamshell":
            total = angle + pelvis
            tl.segment(_rotate(SIDE, axis, total),
                       np.outer(np.gradient(total) * tl.internal_hz, axis))
            rest = _rotate(SIDE, axis, np.array([roll_to]))[0]
        else:
            tl.segment(_rotate(SIDE, axis, angle),
                       np.outer(np.gradient(angle) * tl.internal_hz, axis))
            rest = SIDE
        roll = roll_to
        _still(tl, rest, rng.uniform(0.8, 2.0))
    end = tl.now
    _still(tl, SIDE, rng.uniform(1.0, 2.0))
    return LabelSet(kind, int(start * 1000), int(end * 1000), reps,
                    [int(t * 1000) for t in tops], None, detail)


def make_form_session(seed: int, kind: str, rate_hz: float | None = None,
                      rx: tuple[float, float, float] = RX_S, fault_share: float = 0.45
                      ) -> tuple[Trace, Labels]:
    """Two sets of `kind` done to the prescription `rx`, with form faults at a visible size in
    about `fault_share` of the reps (see _form_set), in the band frame, right thigh."""
    if kind not in FORM_FAULTS:
        raise RepbandError(f"unknown exercise {kind!r}: choose one of {', '.join(FORM_FAULTS)}")
    rng = np.random.default_rng(seed)
    rate = float(rate_hz or rng.choice([20, 25, 50, 52, 100, 104, 200]))
    tl = _Timeline(rate, rng, [], [], [], [], [])
    _still(tl, STANDING, 2)
    for _ in range(2):
        _turn(tl, STANDING, SIDE, 2)
        tl.sets.append(_form_set(tl, kind, int(rng.integers(8, 13)), rng.uniform(20, 40), rx,
                                 fault_share))
        _still(tl, SIDE, rng.uniform(3, 6))
        _turn(tl, SIDE, STANDING, 2)
        _still(tl, STANDING, rng.uniform(25, 40))  # the rest between sets
    meta = {"format": "repband-trace/1", "sample_rate_hz": f"{rate:g}",
            "placement": "thigh_right_lateral", "axes": "band",
            "source": f"synthetic form session (host_tools.traces.synth, seed {seed}, {kind})"}
    return _sensor(tl, rate, True, None, meta), Labels(
        Path("form.labels.json"), tl.sets, f"synthetic form session, seed {seed}, {kind}; "
        "faults by construction")


# the gait's tissue noise (g rms an axis) and how fast a heel strike's ringing dies away (s):
# with these the sample-to-sample change and the strides' peaks match HuGaDB's (see _gait)
GAIT_NOISE_G = 0.065
HEEL_RING_S = 0.2


def _gait(tl: _Timeline, seconds: float, *, stride_s: tuple[float, float] = (0.85, 1.05),
          amp_deg: tuple[float, float] = (18, 26), flex_deg: tuple[float, float] = (3, 8),
          impact_g: float = 1.8) -> None:
    """Walking (or climbing stairs, with other figures) as a thigh band feels it: the thigh
    swings about the hip's flexion axis, stride by stride, each stride its own length and
    swing (~4 % and ~5 % from the walk's, as HuGaDB's strides vary), plus the thigh's sagittal
    acceleration, a heel strike ringing at ~15 Hz in the soft tissue just after the forward
    peak, each its own strength (~9 %; the other foot's, weaker, half a stride later), the
    body's bounce once a step and sway once a stride, and tissue noise.
    Calibrated to HuGaDB's thigh walking (../shared/traces/hugadb-daily, the 23 recordings with
    a gyro; medians [p10, p90]): stride 0.90 s [0.86, 1.03], stride-to-stride CV 4 % [2, 9],
    swing CV 5 % [3, 10], the stride's peak |a| 2.5 g [2.3, 2.7] (CV 9 %), median
    sample-to-sample change 470 mg [400, 520] (L1, 59 Hz). This gait at 59 Hz, 20 seeds:
    stride 0.92 s, CV 3.7 %, swing CV 5.4 %, peak |a| 2.6 g (CV 10 %), change 470 mg."""
    rng = tl.rng
    n = tl.n(seconds)
    hz = tl.internal_hz
    t = np.arange(n) / hz
    mean_stride = rng.uniform(*stride_s)
    k_max = int(seconds / (0.6 * mean_stride)) + 2
    periods = mean_stride * np.clip(1 + 0.05 * rng.standard_normal(k_max), 0.85, 1.15)
    starts = np.concatenate([[0.0], np.cumsum(periods)])
    k = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, k_max - 1)
    frac = (t - starts[k]) / periods[k]  # 0..1 through each stride
    amp = math.radians(rng.uniform(*amp_deg)) * np.clip(
        1 + 0.05 * rng.standard_normal(k_max), 0.8, 1.2)
    # a stride's own swing (it meets the next at sin = 0, so the angle stays continuous)
    phi = amp[k] * np.sin(2 * math.pi * frac) + math.radians(rng.uniform(*flex_deg))
    up = np.stack([-np.cos(phi), np.sin(phi), np.zeros(n)], 1)
    omega = np.outer(np.gradient(phi) * hz, [0, 0, 1.0])
    w = 2 * math.pi / mean_stride
    sagittal = rng.uniform(0.2, 0.5) * np.sin(2 * math.pi * frac)  # g, along forward
    strike = impact_g * np.clip(1 + 0.06 * rng.standard_normal(k_max), 0.7, 1.3)
    since = (frac - 0.3) % 1.0 * periods[k]  # s since this foot's heel strike
    ring = strike[k] * np.exp(-since / HEEL_RING_S) * np.cos(2 * math.pi * 15 * since)
    other = (frac - 0.8) % 1.0 * periods[k]  # the other foot's, through the pelvis
    ring += 0.6 * strike[k] * np.exp(-other / 0.1) * np.cos(2 * math.pi * 15 * other)
    bounce = rng.uniform(0.3, 0.45) * np.sin(4 * math.pi * frac + rng.uniform(0, 2 * math.pi))
    sway = 0.1 * np.sin(w * t + rng.uniform(0, 2 * math.pi))
    lin = np.stack([bounce - ring, sagittal + 0.3 * ring, sway + 0.1 * ring], 1)
    lin += GAIT_NOISE_G * rng.standard_normal((n, 3))  # the soft tissue's shiver
    tl.segment(up, omega, lin)


def _walk(tl: _Timeline, seconds: float):
    _gait(tl, seconds)


def _turn(tl: _Timeline, frm: np.ndarray, to: np.ndarray, seconds: float):
    axis = np.cross(frm, to)
    if np.linalg.norm(axis) < 1e-6:
        axis = np.array([1.0, 0, 0])
    total = math.acos(float(np.clip(frm @ to, -1, 1)))
    angle = total * 0.5 * (1 - np.cos(np.linspace(0, math.pi, tl.n(seconds))))
    tl.segment(_rotate(frm, axis, angle), np.outer(np.gradient(angle) * tl.internal_hz,
                                                   axis / np.linalg.norm(axis)))


def _adjust_band(tl: _Timeline, base: np.ndarray):
    axis = _normalise(tl.rng.standard_normal(3))
    angle = np.radians(8) * np.sin(np.linspace(0, 3 * math.pi, tl.n(1.2)))
    tl.segment(_rotate(base, axis, angle))


def _distractors(tl: _Timeline, which: list[str]):
    rng = tl.rng
    for d in which:
        if d == "walking":
            _walk(tl, rng.uniform(8, 20))
        elif d == "standing":
            _still(tl, STANDING, rng.uniform(3, 8))
        elif d == "sitting":
            _turn(tl, STANDING, SUPINE, 1.5)
            _still(tl, SUPINE, rng.uniform(5, 10))
            _turn(tl, SUPINE, STANDING, 1.5)
        elif d == "lying_still":
            _still(tl, SIDE, rng.uniform(5, 10))
        elif d == "rolling_over":
            _turn(tl, SIDE, SUPINE, rng.uniform(1.5, 3))
            _still(tl, SUPINE, 2)
            _turn(tl, SUPINE, SIDE, rng.uniform(1.5, 3))
        elif d == "adjusting_band":
            _adjust_band(tl, SIDE)
            _still(tl, SIDE, 2)
        elif d == "bottom_leg":
            # the band is on the leg underneath while the top leg exercises: it barely moves
            _still(tl, BOTTOM_LEG, 2)
            _exercise_set(tl, "leg_lift", BOTTOM_LEG, int(rng.integers(6, 11)), 3.0, 1.0, None)
        elif d == "supine_leg_raise":
            _exercise_set(tl, "raise", SUPINE, int(rng.integers(6, 11)), rng.uniform(20, 40), 1.0,
                          "other", "supine straight-leg raise")
        elif d == "prone_leg_raise":
            _exercise_set(tl, "raise", PRONE, int(rng.integers(6, 11)), rng.uniform(10, 20), 1.0,
                          "other", "prone straight-leg raise")
        elif d == "bridge":
            base = _normalise(
                np.array([math.sin(math.radians(45)), math.cos(math.radians(45)), 0])
            )
            _exercise_set(tl, "raise", base, int(rng.integers(6, 11)), -rng.uniform(20, 35), 1.0,
                          "other", "bridge")
        else:
            raise ValueError(d)


DISTRACTORS = ("walking", "standing", "sitting", "lying_still", "rolling_over", "adjusting_band",
               "bottom_leg", "supine_leg_raise", "prone_leg_raise", "bridge")


def _sensor(tl: _Timeline, rate_hz: float, gyro: bool, mounting: np.ndarray | None,
            meta: dict[str, str], jitter: float = 0.1, drop: float = 0.01,
            noise_g: float | None = None, bias_g: float = 0.02, gain_err: float = 0.02) -> Trace:
    """Sample the timeline as a MEMS part would: jittered, with drops, a gain error and a bias
    an axis (drawn: sd `gain_err`, `bias_g`) and white noise (`noise_g` rms an axis; None: drawn
    from 3-15 mg, what the data sets' parts show at rest)."""
    rng = tl.rng
    t = np.concatenate(tl.t_s)
    up = np.concatenate(tl.up)
    omega = np.degrees(np.concatenate(tl.omega))
    accel = _normalise(up) + np.concatenate(tl.lin)
    # sample times: nominal rate, jitter, a few drops
    step = 1.0 / rate_hz
    ts = (
        np.arange(0, t[-1], step)
        + rng.normal(0, jitter * step, int(math.ceil(t[-1] / step)))[
            : len(np.arange(0, t[-1], step))
        ]
    )
    ts = np.clip(ts, 0, t[-1])
    keep = rng.random(len(ts)) > drop
    ts = np.sort(ts[keep])
    idx = np.clip(np.searchsorted(t, ts), 0, len(t) - 1)
    a = accel[idx]
    w = omega[idx]
    if mounting is not None:
        a = a @ mounting.T
        w = w @ mounting.T
    gain = 1 + rng.normal(0, gain_err, 3)
    bias = rng.normal(0, bias_g, 3)  # (draws in this order: the same sessions as before)
    noise = rng.uniform(0.003, 0.015) if noise_g is None else noise_g
    a = a * gain + bias + rng.normal(0, noise, a.shape)
    w = w + rng.normal(0, 1.0, 3) + rng.normal(0, 0.5, w.shape)
    t_ms = np.floor(ts * 1000).astype(np.int64)
    return Trace(Path("synthetic.csv"), meta, float(rate_hz), meta["axes"], t_ms, a,
                 w if gyro else None)


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q @ np.diag(np.sign(np.diag(r)))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def make_session(seed: int, scenario: str = "mixed", rate_hz: float | None = None,
                 gyro: bool = True, axes: str = "band", low_amplitude: bool | None = None,
                 ) -> tuple[Trace, Labels]:
    """One synthetic session and its labels. Everything random comes from `seed`."""
    if scenario not in SCENARIOS:
        raise RepbandError(f"unknown scenario {scenario!r}: choose one of {', '.join(SCENARIOS)}")
    if axes not in ("band", "unknown"):
        raise RepbandError("axes must be 'band' or 'unknown'")
    rng = np.random.default_rng(seed)
    rate = float(rate_hz or rng.choice([20, 25, 50, 52, 100, 104, 200]))
    tl = _Timeline(rate, rng, [], [], [], [], [])
    person_tempo = rng.uniform(0.7, 1.4)
    _still(tl, STANDING, 2)

    def target(kind: str):
        low = low_amplitude if low_amplitude is not None else rng.random() < 0.25
        amp = rng.uniform(7, 12) if low else rng.uniform(15, 45)
        _turn(tl, STANDING, SIDE, 2)
        _exercise_set(
            tl,
            kind,
            SIDE,
            int(rng.integers(5, 16)),
            amp,
            person_tempo * rng.uniform(0.8, 1.3),
            kind,
        )
        _still(tl, SIDE, rng.uniform(3, 6))
        _turn(tl, SIDE, STANDING, 2)

    if scenario in ("leg_lift", "clamshell"):
        for _ in range(int(rng.integers(1, 4))):
            target(scenario)
            _still(tl, STANDING, rng.uniform(2, 5))
    elif scenario == "distractors":
        _distractors(tl, list(rng.permutation(DISTRACTORS)))
    else:
        order = ["leg_lift", "clamshell", *rng.choice(DISTRACTORS, 5, replace=False)]
        for item in rng.permutation(order):
            if item in ("leg_lift", "clamshell"):
                target(item)
            else:
                _distractors(tl, [item])
            _still(tl, STANDING, rng.uniform(1, 3))
    mounting = random_rotation(rng) if axes == "unknown" else None
    meta = {
        "format": "repband-trace/1",
        "sample_rate_hz": f"{rate:g}",
        "placement": "thigh_right_lateral" if axes == "band" else "thigh_unknown",
        "axes": axes,
        "source": f"synthetic (host_tools.traces.synth, seed {seed}, scenario {scenario})",
    }
    trace = _sensor(tl, rate, gyro, mounting, meta)
    return trace, Labels(
        Path("synthetic.labels.json"),
        tl.sets,
        f"synthetic session, seed {seed}, scenario {scenario}; counts are by construction",
    )


def make_day(seed: int, sets_per_exercise: int = 4, rate_hz: float = 50) -> tuple[Trace, Labels]:
    """A day's exercise in one session: sets of both exercises between walking, sitting and
    other exercises, in the band frame (what a band wearing it would see)."""
    rng = np.random.default_rng(seed)
    tl = _Timeline(float(rate_hz), rng, [], [], [], [], [])
    tempo = rng.uniform(0.8, 1.3)
    _still(tl, STANDING, 2)
    kinds = ["leg_lift", "clamshell"] * sets_per_exercise
    for k, kind in enumerate(rng.permutation(kinds)):
        _distractors(tl, [str(rng.choice(["walking", "sitting", "standing"]))])
        _turn(tl, STANDING, SIDE, 2)
        _exercise_set(tl, str(kind), SIDE, int(rng.integers(10, 16)), rng.uniform(15, 40),
                      tempo * rng.uniform(0.9, 1.2), str(kind))
        _still(tl, SIDE, rng.uniform(3, 6))
        _turn(tl, SIDE, STANDING, 2)
    _walk(tl, 10)
    meta = {"format": "repband-trace/1", "sample_rate_hz": f"{rate_hz:g}",
            "placement": "thigh_right_lateral", "axes": "band",
            "source": f"synthetic day (host_tools.traces.synth.make_day, seed {seed})"}
    trace = _sensor(tl, rate_hz, True, None, meta)
    return trace, Labels(Path("day.labels.json"), tl.sets, f"synthetic day, seed {seed}")


def write_day(out: str | Path, seed: int = 1, **kw) -> tuple[Path, Path]:
    trace, labels = make_day(seed, **kw)
    return write_session(out, trace, labels)


def write_session(out: str | Path, trace: Trace, labels: Labels) -> tuple[Path, Path]:
    out = Path(out)
    trace.path = out
    write_trace(out, trace)
    lp = labels_path_for(out)
    labels.path = lp
    write_labels(lp, labels)
    return out, lp


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=1,
                        help="everything random comes from it (default: 1)")
    parser.add_argument(
        "-o", "--out", required=True, help="trace file to write (labels beside it)"
    )
    parser.add_argument("--scenario", choices=(*SCENARIOS, "day"), default="mixed",
                        help="'day': make_day, several sets of each exercise between other "
                             "activities (default: mixed)")
    parser.add_argument("--rate", type=float, help="sample rate in Hz (default: drawn by seed)")
    parser.add_argument("--no-gyro", action="store_true", help="an accelerometer alone")
    parser.add_argument("--axes", choices=("band", "unknown"), default="band",
                        help="'unknown': the sensor at a random fixed rotation (default: band)")


def run(args: argparse.Namespace) -> int:
    if args.rate is not None and not 20 <= args.rate <= 200:
        raise RepbandError("--rate must be between 20 and 200 Hz")
    if args.scenario == "day":
        trace, labels = make_day(args.seed, rate_hz=args.rate or 50)
    else:
        trace, labels = make_session(
            args.seed, args.scenario, args.rate, not args.no_gyro, args.axes
        )
    t, lp = write_session(args.out, trace, labels)
    n = sum(s.reps or 0 for s in labels.sets if s.is_target)
    print(f"wrote {t} ({trace.duration_ms / 1000:.0f} s at {trace.sample_rate_hz:g} Hz) and {lp} "
          f"({n} target reps)")
    return 0


# --- stress sweeps: one factor at a time (repband eval --sweep) ----------------------------------

SWEEP_DEFAULTS = {"range_deg": 30.0, "hold_s": 1.0, "wobble_deg": 1.0, "tempo_s": 2.5,
                  "rate_hz": 50.0, "lead_in": "still", "after": "still", "half_reps": 0,
                  "jitter": 0.1, "drop": 0.01, "rotate": False, "gyro": True,
                  "between": "none", "noise_g": None, "bias_g": 0.02, "strap_deg": 0}
SWEEPS: dict[str, list] = {
    "range_deg": [5, 8, 15, 30, 45, 60, 75, 90],
    "hold_s": [0, 1, 2, 3, 5],
    "wobble_deg": [0, 2, 5, 10],
    "tempo_s": [1.2, 1.6, 2.5, 4, 6],
    "lead_in": ["still", "lie_down", "roll_over"],
    "after": ["still", "fidgets", "get_up"],
    "half_reps": [0, 1, 2],
    "rate_hz": [20, 25, 50, 100, 200],
    "jitter": [0.0, 0.1, 0.3, 0.5],
    "drop": [0.0, 0.05, 0.2],
    "rotate": [False, True],
    "gyro": [True, False],
    "between": ["none", "walking", "stairs", "sitting"],
    # the sensor: white noise (g rms an axis), bias (g sd an axis), and the band turned on the
    # skin about its own z by this much with the frame still taken as known (README: ~10 deg)
    "noise_g": [0.003, 0.01, 0.02, 0.04],
    "bias_g": [0.0, 0.02, 0.05, 0.1],
    "strap_deg": [-20, -10, 0, 10, 20],
}


def _stairs(tl: _Timeline, seconds: float):
    """Stair climbing: a bigger, slower thigh swing than walking about more flexion (the hip
    flexes to ~60 deg), each stride its own, and a softer landing on the forefoot."""
    _gait(tl, seconds, stride_s=(1.2, 1.5), amp_deg=(26, 32), flex_deg=(28, 34), impact_g=0.7)


def _sit_down(tl: _Timeline, seconds: float):
    """Sitting down on a chair (the thigh from hanging to level, forward: up is +y in the band
    frame of either thigh's mirror image, see mounting.lead_in), seated a while, standing up."""
    _turn(tl, STANDING, SUPINE, tl.rng.uniform(1.2, 2.0))
    _still(tl, SUPINE, seconds, tremor_deg=1.0)
    _turn(tl, SUPINE, STANDING, tl.rng.uniform(1.2, 2.0))


def make_sweep_session(factor: str, value, seed: int) -> tuple[Trace, Labels]:
    """One set of one exercise with every factor at its default but `factor` = `value`.

    Two sets are made (leg lift, then clamshell) so both exercises are swept. Half reps
    (`half_reps`: aborted at 30 % of the range) are not counted in the labels: the convention of
    the real data sets. Fidgets after a set and getting up end it and must count nothing."""
    if factor not in SWEEPS:
        raise RepbandError(f"unknown sweep factor {factor!r}: choose one of {', '.join(SWEEPS)}")
    f = dict(SWEEP_DEFAULTS, **{factor: value})
    rng = np.random.default_rng(seed)
    tl = _Timeline(float(f["rate_hz"]), rng, [], [], [], [], [])
    _still(tl, STANDING, 2)
    for kind in ("leg_lift", "clamshell"):
        if f["between"] == "walking":
            _walk(tl, rng.uniform(15, 25))
        elif f["between"] == "stairs":
            _stairs(tl, rng.uniform(15, 25))
        elif f["between"] == "sitting":
            _sit_down(tl, rng.uniform(5, 10))
        if f["lead_in"] == "roll_over":
            _turn(tl, STANDING, SUPINE, 2)
            _turn(tl, SUPINE, SIDE, rng.uniform(1.0, 1.5))
        else:
            _turn(tl, STANDING, SIDE, 2)
        if f["lead_in"] == "still":
            _still(tl, SIDE, rng.uniform(1.5, 3))
        else:
            _still(tl, SIDE, rng.uniform(0.2, 0.4))
        if kind == "leg_lift":
            axis = np.array([0.0, 1.0, 0.0]) + rng.normal(0, 0.1, 3)
        else:
            fl = math.radians(rng.uniform(35, 55))
            axis = np.array([math.cos(fl), -math.sin(fl), 0.0])
        axis /= np.linalg.norm(axis)
        if _rotate(SIDE, axis, np.array([0.1]))[0][0] < SIDE[0]:
            axis = -axis
        reps = int(rng.integers(8, 13))
        halves = set(rng.choice(np.arange(1, reps), int(f["half_reps"]), replace=False).tolist())
        start = tl.now
        tops = []
        detail = []
        tempo = float(f["tempo_s"])
        hold = float(f["hold_s"])
        for k in range(reps + len(halves)):
            half = k in halves
            amp = math.radians(
                float(f["range_deg"]) * rng.uniform(0.9, 1.1) * (0.3 if half else 1)
            )
            move = max(0.25, (tempo - min(hold, 0.3 * tempo)) * 0.4)
            up = 0.5 * (1 - np.cos(np.linspace(0, math.pi, tl.n(move))))
            down = up[::-1]
            nh = tl.n(hold) if hold > 0 and not half else 1
            wob = np.radians(float(f["wobble_deg"])) * np.sin(
                np.linspace(0, 2 * math.pi * max(1.0, hold), nh)) * (0 if half else 1)
            angle = np.concatenate([amp * up, amp + wob, amp * down])
            if not half:
                tops.append(tl.now + move + hold / 2)
                detail.append(_truth(tl.now, move, hold, move,
                                     _clinical_deg(kind, SIDE, axis, amp)))
            rate = np.gradient(angle) * tl.internal_hz
            tl.segment(_rotate(SIDE, axis, angle), np.outer(rate, axis))
            _still(tl, SIDE, max(0.1, tempo * 0.2))
        end = tl.now
        tl.sets.append(LabelSet(kind, int(start * 1000), int(end * 1000), reps,
                                [int(t * 1000) for t in tops], None, detail))
        if f["after"] == "fidgets":
            _still(tl, SIDE, 2.5)
            for _ in range(3):
                _adjust_band(tl, SIDE)
                _still(tl, SIDE, rng.uniform(0.5, 1.5))
            _still(tl, SIDE, 14)
        elif f["after"] == "get_up":
            _turn(tl, SIDE, STANDING, 1.5)
        else:
            _still(tl, SIDE, rng.uniform(3, 5))
            _turn(tl, SIDE, STANDING, 2)
        _still(tl, STANDING, rng.uniform(14, 16))
    mounting = random_rotation(rng) if f["rotate"] else None
    if f["strap_deg"]:
        c, s = math.cos(math.radians(f["strap_deg"])), math.sin(math.radians(f["strap_deg"]))
        mounting = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])  # the frame, turned
    axes = "unknown" if f["rotate"] else "band"
    meta = {"format": "repband-trace/1", "sample_rate_hz": f"{float(f['rate_hz']):g}",
            "placement": "thigh_right_lateral" if axes == "band" else "thigh_unknown",
            "axes": axes, "subject": f"synth-sweep-{seed}",
            "source": f"synthetic sweep (host_tools.traces.synth, {factor}={value}, seed {seed})"}
    trace = _sensor(tl, float(f["rate_hz"]), bool(f["gyro"]), mounting, meta,
                    jitter=float(f["jitter"]), drop=float(f["drop"]), noise_g=f["noise_g"],
                    bias_g=float(f["bias_g"]))
    return trace, Labels(Path("sweep.labels.json"), tl.sets,
                         f"synthetic sweep {factor}={value}, seed {seed}; counts by construction")
