"""Test stand-in for mlx.core: the memory counters, written from MLX's own python/src/memory.cpp
(ml-explore/mlx, init_memory): get_peak_memory is "the maximum memory used recorded from the
beginning of the program execution or since the last call to reset_peak_memory", in bytes.
The stand-in mlx_vlm reports its simulated use through _use(). Not MLX."""
import os

__version__ = "0.32.0"

_active = 0
_peak = 0


def _use(nbytes):
    """The stand-in's allocation: memory in use rises to nbytes for a while, then falls back."""
    global _peak
    _peak = max(_peak, _active + int(nbytes))


def get_active_memory():
    return _active


def get_peak_memory():
    return _peak


def reset_peak_memory():
    global _peak
    _peak = 0  # "Reset the peak memory to zero."
    path = os.environ.get("FAKE_MLX_VLM_RECORD")
    if path:
        from mlx_vlm._standin import record
        record("mlx.core.reset_peak_memory")


class Device(object):
    def __init__(self, name):
        self.name = name

    def __str__(self):
        return "Device(%s, 0)" % self.name

    __repr__ = __str__


def default_device():
    return Device("gpu")
