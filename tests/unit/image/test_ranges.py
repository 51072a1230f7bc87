import pytest

from onestack.image.service.data import RangeNotSatisfiable, resolve_range


def test_ranges():
    assert resolve_range(None, 100) is None
    assert resolve_range("bytes=0-9", 100) == (0, 10)
    assert resolve_range("bytes=90-", 100) == (90, 10)
    assert resolve_range("bytes=-5", 100) == (95, 5)
    assert resolve_range("bytes=50-1000", 100) == (50, 50)


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=5-2", "bytes=0-1,5-6", "items=0-1",
                                    "bytes=-0", "bytes=x-"])
def test_unsatisfiable(header):
    with pytest.raises(RangeNotSatisfiable):
        resolve_range(header, 100)
