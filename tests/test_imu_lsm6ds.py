"""The LSM6DSOX driver against a register-level model of the part (tagged FIFO)."""

import pytest
from test_imu_drivers import assert_batch_near, fault_positions  # the family's shared checks

from host_tools import firmware
from host_tools.sim.fakes.imu_models import FakeI2C, LSM6DSOXModel, ManualClock, SampleSource

lsm = firmware.load("lsm6ds")
SAMPLE = (512, -250, 980, 1234, -567, 89)


def read(imu):
    n = imu.read_batch()
    return n, imu.lost


def rig(part="lsm6dsox", sample=SAMPLE, **kw):
    clock = ManualClock(1000)
    model = LSM6DSOXModel(clock, SampleSource([0], [[v] for v in sample]), part)
    imu = lsm.LSM6DSOX(FakeI2C({0x6A: model}), 0x6A, sleep_ms=clock.sleep_ms, **kw)
    return clock, model, imu


def test_lsm6ds3_is_named_and_refused():
    with pytest.raises(lsm.IMUError, match=r"reads 0x69 \(lsm6ds3\): its untagged FIFO"):
        rig("lsm6ds3")


@pytest.mark.parametrize("accel_fs, gyro_fs", [(2, 250), (4, 500), (8, 1000), (16, 2000)])
def test_fifo_batch_at_every_range(accel_fs, gyro_fs):
    sample = (512, -250, 980, 123, -56, 89) if gyro_fs == 250 else SAMPLE
    clock, model, imu = rig(sample=sample, accel_fs_g=accel_fs, gyro_fs_dps=gyro_fs)
    clock.ms += 1000
    before = model.transactions
    n, lost = read(imu)
    assert (n, lost) == (52, 0) and model.transactions - before == 2
    tol_mg = 0.061 * accel_fs / 2 + 1
    tol_dds = 0.0875 * gyro_fs / 250 + 1
    assert_batch_near(imu, n, sample, tol_mg, tol_dds)


def test_overrun_and_i2c_errors():
    clock, model, imu = rig()
    clock.ms += 6000  # 312 samples = 624 words > 512
    assert read(imu) == (0, 1)
    clock.ms += 500
    n, _ = read(imu)
    assert n == 26 and abs(imu.batch[0] - SAMPLE[0]) <= 1
    model.fail_next = 2
    clock.ms += 500
    assert read(imu)[0] == 26 and imu.i2c_errors == 2


def test_accel_only_fifo_words():
    """Without the gyro: CTRL2_G ODR_G = 0 (gyro powered down) and FIFO_CTRL3 BDR_GY = 0, so
    the FIFO holds accel words only, one a sample."""
    clock, model, imu = rig(gyro=False)
    assert model.regs[0x11] >> 4 == 0 and model.regs[0x09] >> 4 == 0
    assert model.regs[0x09] & 0x0F == 3 and model.regs[0x10] >> 4 == 3  # 52 Hz accel
    clock.ms += 1000
    model._advance()  # the model catches up with the clock at each bus access
    words = [model.fifo[i:i + 7] for i in range(0, len(model.fifo), 7)]  # tag + 6 data bytes
    assert len(words) == 52 and all(len(w) == 7 and w[0] >> 3 == 0x02 for w in words)
    n, lost = read(imu)
    assert (n, lost) == (52, 0)
    assert_batch_near(imu, n, SAMPLE, 1)


def test_a_failed_restart_does_not_leave_the_imu_blind():
    def make():
        clock = ManualClock(1000)
        model = LSM6DSOXModel(clock, SampleSource([0], [[v] for v in SAMPLE]))
        imu = lsm.LSM6DSOX(FakeI2C({0x6A: model}), 0x6A, sleep_ms=clock.sleep_ms, gyro=False)
        return clock, model, imu

    blind, positions = fault_positions(make)
    assert positions >= 8
    assert blind == [], f"blind after {len(blind)} of {positions} fault positions: {blind}"


@pytest.mark.parametrize("gyro", [True, False])
def test_a_rotated_part_is_turned_back_into_the_band_frame(gyro):
    from host_tools import BOARDS_DIR

    board = firmware.load("board").load("m5stickc_plus2", str(BOARDS_DIR))  # a rotated IMU
    clock = ManualClock(1000)
    model = LSM6DSOXModel(clock, SampleSource([0], [[v] for v in SAMPLE]),
                          to_band=board.imu["to_band"])
    imu = lsm.LSM6DSOX(FakeI2C({0x6A: model}), 0x6A, sleep_ms=clock.sleep_ms, gyro=gyro,
                       to_band=board.to_band)
    clock.ms += 200
    n = imu.read_batch()
    assert n == 10
    got = imu.batch[:6]
    assert all(abs(got[i] - SAMPLE[i]) <= 1 for i in range(3)), got
    if gyro:
        assert all(abs(got[3 + i] - SAMPLE[3 + i]) <= 1 for i in range(3)), got
    else:
        assert got[3:] == [0, 0, 0]
