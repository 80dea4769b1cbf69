"""A stand-in for the few torch names python/attngen uses, so that the binding's argument
checks run on a machine without torch or a GPU (tests/lit/Python/binding.test)."""
import contextlib


class dtype:
    def __init__(self, name, size):
        self.name, self.size = name, size

    def __repr__(self):
        return "torch." + self.name


bfloat16, float16, float32, uint8 = dtype("bfloat16", 2), dtype("float16", 2), dtype("float32", 4), dtype("uint8", 1)


class device:
    def __init__(self, kind, index=0):
        self.type, self.index = kind, index

    def __eq__(self, other):
        return (self.type, self.index) == (other.type, other.index)

    def __repr__(self):
        return f"{self.type}:{self.index}"


class Tensor:
    _next = 1 << 20

    def __init__(self, shape, dt, dev=None, strides=None):
        self.shape, self.dtype = (tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)), dt
        self.device = dev or device("cuda", 0)
        self.is_cuda = self.device.type == "cuda"
        if strides is None:
            strides, s = [], 1
            for n in reversed(self.shape):
                strides.insert(0, s)
                s *= n
        self._strides = tuple(strides)
        self._ptr = Tensor._next
        Tensor._next += 1 << 30

    def dim(self):
        return len(self.shape)

    def stride(self, i=None):
        return self._strides if i is None else self._strides[i]

    def data_ptr(self):
        return self._ptr

    def numel(self):
        n = 1
        for s in self.shape:
            n *= s
        return n

    def element_size(self):
        return self.dtype.size

    def is_contiguous(self):
        return self._strides == Tensor(self.shape, self.dtype)._strides


def empty(shape, dtype=float32, device=None):
    return Tensor(shape, dtype, device)


class _Stream:
    cuda_stream = 0


class cuda:
    current = []  # the devices made current, innermost last

    @staticmethod
    @contextlib.contextmanager
    def device(dev):
        cuda.current.append(dev)
        try:
            yield
        finally:
            cuda.current.pop()

    @staticmethod
    def current_stream(dev=None):
        return _Stream()
