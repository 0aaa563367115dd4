import gc

import pytest

from tasman.core.gcpause import collector_paused


def test_the_collector_is_off_inside_and_back_as_found() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()                          # back after an exception too
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()                  # a caller's own pause is kept
    finally:
        gc.enable()
