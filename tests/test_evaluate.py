"""Evaluation: the scoring rules of trace-format.md, and the counter's bar on the real
recordings."""

import json

from host_tools.cli import main
from host_tools.traces import traceio
from host_tools.traces.evaluate import evaluate, form_by_set, form_pairs, score_trace, summarise
from host_tools.traces.replay import replay_traces


def rep(t, exercise="leg_lift"):
    return {"t_ms": t, "exercise": exercise, "rom_deg": 20.0, "duration_ms": 2000}


def labels(*sets):
    return traceio.Labels(None, [traceio.LabelSet(*s) for s in sets])


def test_reps_are_assigned_to_set_windows_with_two_second_margins():
    lab = labels(("leg_lift", 10_000, 20_000, 3), ("other", 30_000, 40_000, 5))
    reps = [rep(8_000), rep(15_000), rep(21_999, "clamshell"), rep(22_001), rep(35_000)]
    score = score_trace({"trace": "t", "reps": reps}, lab, "band", 0, 60_000, "fam")
    assert [(s.true, s.counted) for s in score.sets] == [(3, 3)]
    # 22.001 s is outside the window; 35 s is inside an 'other' set, which is non-target time
    assert [r["t_ms"] for r in score.false_reps] == [22_001, 35_000]
    # non-target time: 60 s minus the window 8..22 s
    assert score.nontarget_ms == 60_000 - 14_000
    assert (score.typed_right, score.typed) == (2, 3)


def test_summary_splits_false_reps_by_axes():
    lab = labels(("clamshell", 0, 1000, 2))
    band = score_trace(
        {"trace": "a", "reps": [rep(500), rep(100_000)]}, lab, "band", 0, 3_603_000, "f"
    )
    unknown = score_trace({"trace": "b", "reps": [rep(50_000), rep(60_000)]}, labels(), "unknown",
                          0, 1_800_000, "f")
    s = summarise([band, unknown])
    assert s.sets == 1 and s.exact == 0.0 and s.within_1 == 1.0 and s.mae == 1.0
    assert (s.false_reps_band, round(s.hours_band, 3)) == (1, 1.0)
    assert s.false_per_hour_unknown == 2 / 0.5
    assert s.type_accuracy == 0.0  # the rep was typed leg_lift in a clamshell set


def test_counter_meets_the_bar_on_the_real_recordings(shared_traces):
    """Issue 2's bar: exact >= 90 %, within 1 >= 97 %, <= 2 false reps/h (band frame), type >= 95
    %."""
    report = evaluate([shared_traces])
    s = report.overall
    assert s.sets >= 10
    assert s.exact >= 0.90, s
    assert s.within_1 >= 0.97, s
    assert s.hours_band > 0 and s.false_per_hour_band <= 2.0, s
    assert s.type_accuracy >= 0.95, s
    assert s.false_per_hour_unknown is not None  # reported beside it


def test_eval_cli_table_and_json(shared_traces, capsys):
    assert main(["eval", str(shared_traces / "mex-clam")]) == 0
    out = capsys.readouterr().out
    assert "mex-clam" in out and "overall" in out
    assert main(["eval", "--json", str(shared_traces / "mex-clam")]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["overall"]["sets"] == len(doc["sets"]) > 0


def test_rotated_evaluation_scores_with_axes_unknown(shared_traces):
    plain = evaluate([shared_traces / "mex-clam"])
    turned = evaluate([shared_traces / "mex-clam"], rotate=5)
    assert [x.counted for t in turned.traces for x in t.sets] == \
        [x.counted for t in plain.traces for x in t.sets]
    uci = evaluate([shared_traces / "uci-pt"], rotate=5)
    assert uci.overall.hours_band == 0 and uci.overall.hours_unknown > 0


def test_form_on_synthetic_sessions_nobody_tuned_on():
    """Issue 12's bar on seeds used neither to develop (0-19) nor by `eval --form` (5000 on):
    median absolute error of rom_deg <= 5 deg, of up/hold/down <= 300 ms, against the truth the
    generator wrote into its labels."""
    from host_tools.traces.evaluate import form_synthetic

    figures = form_synthetic(list(range(9100, 9116)))
    assert set(figures) == {"leg_lift", "clamshell"}
    for exercise, f in figures.items():
        assert f["matched"] >= 0.9 * f["reps"] > 0, (exercise, f)
        assert f["mae_rom_deg"] <= 5.0, (exercise, f)
        for phase in ("up_ms", "hold_ms", "down_ms"):
            assert f[f"mae_{phase}"] <= 300, (exercise, phase, f)
    # every fault each exercise can show (synth.FORM_FAULTS), at a visible size: found in
    # >= 90 % of the reps that have it, flagged on <= 5 % of those without it
    from host_tools.traces.synth import FORM_FAULTS

    for exercise, f in figures.items():
        assert set(f["faults"]) == set(FORM_FAULTS[exercise]), (exercise, f["faults"])
        for fault, x in f["faults"].items():
            assert x["reps_with"] >= 8 and x["found"] >= 0.9, (exercise, fault, x)
            assert x["false"] <= 0.05, (exercise, fault, x)


def test_form_pairs_match_truth_to_the_rep_inside_it():
    truth = {"start_ms": 1000, "top_ms": 2000, "end_ms": 3500}
    lab = traceio.Labels(None, [traceio.LabelSet("leg_lift", 0, 9000, 1, [2000], None, [truth])])
    reps = [rep(900), rep(2600), rep(1800), rep(3600)]
    assert form_pairs({"trace": "t", "reps": reps}, lab) == [(truth, reps[2])]


def test_form_on_the_uci_sets(shared_traces, capsys):
    """UCI e4 test recordings: correct (5 s hold), fast (no hold), low amplitude, in that order.
    The fast reps hold shorter and take less time in all; the low-amplitude ones are smaller.
    Against its own set a whole set done small is not too small; against the prescription the
    correct set shows (form_replays), the fast set's reps are flagged too fast and no hold, the
    low-amplitude set's too small, far more often than the correct set's."""
    from host_tools.traces.evaluate import form_replays

    paths = sorted((shared_traces / "uci-pt").glob("s*-e4-u3-test.csv"))
    rows = form_by_set(replay_traces(paths), paths)
    for p in paths:
        correct, fast, low = (r for r in rows if r["trace"] == p.stem)
        assert fast["hold_ms"] < correct["hold_ms"] / 2, (correct, fast)
        assert (fast["up_ms"] + fast["hold_ms"] + fast["down_ms"]
                < correct["up_ms"] + correct["hold_ms"] + correct["down_ms"])
        assert low["rom_deg"] < 0.7 * correct["rom_deg"], (correct, low)
        assert max(r["too_small"] for r in (correct, fast, low)) <= 0.3
    rows = form_by_set(form_replays(paths), paths)
    for p in paths:
        correct, fast, low = (r for r in rows if r["trace"] == p.stem)
        for fault, worse in (("too_fast", fast), ("no_hold", fast), ("too_small", low)):
            assert worse[fault] >= 0.5 and worse[fault] >= correct[fault] + 0.4, (fault, rows)
    assert main(["eval", "--form", "--seeds", "1", *map(str, paths)]) == 0
    out = capsys.readouterr().out
    assert "median absolute error" in out and paths[0].stem in out


def test_drift_forward_counts_only_forward_once_the_side_is_known():
    """Forward is -y on the right thigh (the band's y points forward there): the generator's
    forward drift (right thigh) is found with forward_y=-1 as with the side unknown, never with
    the left thigh's +1."""
    from host_tools.traces.replay import replay_trace
    from host_tools.traces.synth import make_form_session

    found = {0: 0, -1: 0, 1: 0}
    drifted = 0
    for seed in range(9200, 9204):
        trace, labels = make_form_session(seed, "leg_lift")
        for fy in found:
            pairs = form_pairs(replay_trace(trace, params={"forward_y": fy}), labels)
            has = [r for d, r in pairs if "drift_forward" in d.get("faults", {})]
            drifted += len(has) if fy == 0 else 0
            found[fy] += sum("drift_forward" in r["faults"] for r in has)
    assert drifted >= 3 and found[0] == found[-1] >= 0.9 * drifted and found[1] == 0, found


def test_resampled_trace_interpolates_over_the_same_span():
    """A ramp resampled at 0.96x its rate, the first sample half a period late: the samples lie
    on the ramp, inside the recorded span, at the new rate."""
    import numpy as np

    from host_tools.traces.evaluate import resampled

    t = np.arange(0, 10_000, 20, dtype=np.int64)  # 50 Hz, 10 s
    accel = np.stack([t / 10_000, -t / 5_000, np.ones(len(t))], 1)
    trace = traceio.Trace(None, {}, 50.0, "band", t, accel, None)
    r = resampled(trace, 0.96, 0.5)
    assert r.sample_rate_hz == 48.0 and r.gyro_dps is None
    step = 1000 / 48
    assert r.t_ms[0] == int(step / 2) and r.t_ms[-1] <= t[-1]
    assert r.t_ms[-1] + step > t[-1]  # the whole span: no sample fits after the last
    exact_t = step / 2 + np.arange(len(r.t_ms)) * step
    assert np.allclose(r.accel_g[:, 0], exact_t / 10_000) and np.allclose(r.accel_g[:, 2], 1)


def test_counts_do_not_move_when_the_samples_do(shared_traces, capsys):
    """`eval --resample`: the leg-lift and clamshell recordings resampled five ways (sample
    phase, another board's ODR) keep every set's count, also where a recording begins in the
    middle of a rep (mex-clam s09-04_act_1: the first tick has no turn to measure)."""
    files = [str(p) for p in sorted((shared_traces / "uci-pt").glob("*-e4-u3-*.csv"))]
    files.append(str(shared_traces / "mex-clam"))
    assert main(["eval", "--resample", "--json", *files]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 5 and all(r["sets"] == 17 for r in rows)
    assert [m for r in rows for m in r["moved"]] == []
    assert all(r["exact"] == 1.0 for r in rows)
