"""The MPU6886/MPU6050 driver against register-level models of the parts (fake I2C bus)."""

import pytest

from host_tools import BOARDS_DIR, firmware
from host_tools.sim.fakes.imu_models import FakeI2C, ManualClock, MPU6886Model, SampleSource

mpu = firmware.load("mpu6886")
board = firmware.load("board")

SAMPLE = (512, -250, 980, 1234, -567, 89)  # band frame: mg and 0.1 deg/s


def read(imu):
    n = imu.read_batch()
    return n, imu.lost


def assert_batch_near(imu, n, sample, tol_accel, tol_gyro=None):
    """Each of the batch's n samples is `sample` within tol_accel (mg) and tol_gyro (0.1 dps);
    tol_gyro None: the gyro columns are 0 (the gyro is off)."""
    for k in range(n):
        got = imu.batch[6 * k:6 * k + 6]
        assert all(abs(got[i] - sample[i]) <= tol_accel for i in range(3)), (k, got)
        if tol_gyro is None:
            assert got[3:] == [0, 0, 0], (k, got)
        else:
            assert all(abs(got[3 + i] - sample[3 + i]) <= tol_gyro for i in range(3)), (k, got)


def rig(part="mpu6886", driver_part=None, board_name=None, sample=SAMPLE, **kw):
    clock = ManualClock(1000)
    b = board.load(board_name, str(BOARDS_DIR)) if board_name else None
    src = SampleSource([0], [[v] for v in sample])
    model = MPU6886Model(clock, src, part, to_band=b.imu["to_band"] if b else None)
    i2c = FakeI2C({0x68: model})
    imu = mpu.MPU6886(i2c, 0x68, driver_part or part, to_band=b.to_band if b else None,
                      sleep_ms=clock.sleep_ms, **kw)
    return clock, model, imu


def test_who_am_i_mismatch_names_the_part_found():
    with pytest.raises(mpu.IMUError, match=r"expected a mpu6886 .* reads 0x68 \(mpu6050\)"):
        rig(part="mpu6050", driver_part="mpu6886")


def test_nothing_at_the_address():
    with pytest.raises(mpu.IMUError, match="no mpu6886 answers at I2C address 0x69"):
        mpu.MPU6886(FakeI2C({}), 0x69, "mpu6886", sleep_ms=lambda ms: None)


@pytest.mark.parametrize("part", ["mpu6886", "mpu6050"])
@pytest.mark.parametrize("accel_fs, gyro_fs", [(2, 250), (4, 500), (8, 1000), (16, 2000)])
def test_fifo_batch_in_band_units_at_every_range(part, accel_fs, gyro_fs):
    sample = (512, -250, 980, 123, -56, 89) if gyro_fs == 250 else SAMPLE
    clock, model, imu = rig(part, accel_fs_g=accel_fs, gyro_fs_dps=gyro_fs, sample=sample)
    clock.ms += 1000  # one second at 50 Hz
    before = model.transactions
    n, lost = read(imu)
    assert (n, lost) == (50, 0)
    assert model.transactions - before == 3  # status, count, one burst: no per-sample polling
    lsb_mg = 1000 * accel_fs / 32768 + 1
    lsb_dds = 10 * gyro_fs / 32768 + 1
    assert_batch_near(imu, n, sample, lsb_mg, lsb_dds)


def test_batches_larger_than_the_buffer_come_in_turns():
    clock, model, imu = rig(batch=20)
    clock.ms += 1000
    assert read(imu) == (20, 0)
    assert read(imu) == (20, 0)
    assert read(imu) == (10, 0)
    assert read(imu) == (0, 0)


def test_board_rotation_is_undone():
    clock, model, imu = rig(board_name="m5stickc_plus2")
    clock.ms += 200
    n, _ = read(imu)
    assert n == 10
    assert abs(imu.batch[0] - SAMPLE[0]) <= 1 and abs(imu.batch[1] - SAMPLE[1]) <= 1
    # in the IMU's own frame (band y = imu x), x holds band y = -250 mg: a negative int16
    raw_x = model.regs[0x3B] << 8 | model.regs[0x3C]
    assert raw_x > 32767


def test_fifo_overflow_is_reported_and_recovered():
    clock, model, imu = rig()
    clock.ms += 3000  # 150 samples * 14 bytes > 1024
    n, lost = read(imu)
    assert (n, lost) == (0, 1) and imu.overflows == 1
    clock.ms += 400
    n, lost = read(imu)
    assert (n, lost) == (20, 0)
    assert abs(imu.batch[0] - SAMPLE[0]) <= 1  # frames aligned again


def test_i2c_errors_are_retried_then_the_part_restarted():
    clock, model, imu = rig()
    clock.ms += 200
    model.fail_next = 2
    assert read(imu) == (10, 0) and imu.i2c_errors == 2
    model.fail_next = 3
    clock.ms += 200
    assert read(imu) == (0, -1)
    clock.ms += 200
    assert read(imu) == (10, 0)  # re-initialised and counting again


def test_wake_on_motion_setup_puts_the_part_in_cycle_mode():
    for part in ("mpu6886", "mpu6050"):
        clock, model, imu = rig(part)
        imu.wake_on_motion(80)
        assert model.regs[0x6B] == 0x21 and model.regs[0x6C] == 0x07
        assert model.regs[0x38] & (0xE0 if part == "mpu6886" else 0x40)


@pytest.mark.parametrize("part, frame", [("mpu6886", 8), ("mpu6050", 6)])
def test_accel_only_fifo_frames_and_gyro_standby(part, frame):
    """Without the gyro the part puts its gyro in standby (PWR_MGMT_2 STBY_XG/YG/ZG) and
    the FIFO carries accel frames only (FIFO_EN ACCEL; the MPU6886 adds temperature): 8 or
    6 bytes a sample instead of 14, so one FIFO fill holds about twice as many samples."""
    clock, model, imu = rig(part, gyro=False)
    assert model.regs[0x6C] == 0x07 and model.regs[0x23] == 0x08 and not imu.has_gyro
    assert imu.max_batch == 1024 // frame >= 1.7 * (1024 // 14)
    clock.ms += 1000
    model._advance()  # the model catches up with the clock at each bus access
    assert len(model.fifo) == 50 * frame
    n, lost = read(imu)
    assert (n, lost) == (50, 0) and not model.fifo
    assert_batch_near(imu, n, SAMPLE, 1)


def test_the_gyro_frames_are_there_when_asked_for():
    clock, model, imu = rig(gyro=True)
    assert model.regs[0x6C] == 0x00 and model.regs[0x23] == 0x18 and imu.max_batch == 73
    clock.ms += 200
    model._advance()
    assert len(model.fifo) == 10 * 14


def fault_positions(make):
    """For each I2C call of the restart that follows three failed batch reads: fail that
    call too, then let the bus be healthy. Returns the positions after which the driver never
    reads samples again (blind), out of the calls the restart makes."""
    probe_clock, _, probe = make()
    probe_clock.ms += 200
    bus = probe.i2c
    start = bus.calls
    bus.fail_at(0, 1, 2)  # the three tries of one batch
    assert probe.read_batch() == 0 and probe.lost == -1
    restart_calls = bus.calls - start - 3
    blind = []
    for pos in range(restart_calls):
        clk, _, imu = make()
        clk.ms += 200
        imu.i2c.fail_at(0, 1, 2, 3 + pos)
        assert imu.read_batch() == 0 and imu.lost == -1
        got = 0
        for _ in range(5):  # a few batches later it must be counting again
            clk.ms += 200
            got += imu.read_batch()
        if got == 0:
            blind.append(pos)
    return blind, restart_calls


@pytest.mark.parametrize("part", ["mpu6886", "mpu6050"])
def test_a_failed_restart_does_not_leave_the_imu_blind(part):
    def make():
        clock = ManualClock(1000)
        model = MPU6886Model(clock, SampleSource([0], [[v] for v in SAMPLE]), part)
        imu = mpu.MPU6886(FakeI2C({0x68: model}), 0x68, part, sleep_ms=clock.sleep_ms,
                          gyro=False)
        return clock, model, imu

    blind, positions = fault_positions(make)
    assert positions >= 10
    assert blind == [], f"blind after {len(blind)} of {positions} fault positions: {blind}"
