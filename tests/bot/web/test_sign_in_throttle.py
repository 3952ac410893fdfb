"""The sign-in throttle counts failures per name within a window and forgets them afterwards."""
from bot.web.console.throttle import SignInThrottle


def test_a_name_waits_after_the_limit_and_may_try_again_once_the_window_passes():
    now = [0.0]
    throttle = SignInThrottle(limit=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.wait_seconds("ana") == 0
        throttle.failed("ana")
        now[0] += 1
    assert throttle.wait_seconds("ANA ") == 57
    assert throttle.wait_seconds("beto") == 0
    now[0] = 60
    assert throttle.wait_seconds("ana") == 0


def test_a_success_clears_the_count():
    throttle = SignInThrottle(limit=2, window=60, clock=lambda: 0.0)
    throttle.failed("ana")
    throttle.succeeded("ana")
    throttle.failed("ana")
    assert throttle.wait_seconds("ana") == 0
