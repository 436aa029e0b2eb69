"""Reel from Python: the C ABI of libreel.so (reel.h) through ctypes, on NumPy arrays.

    import numpy as np
    import reel

    with reel.Engine() as engine:                       # REEL_BACKEND_AUTO
        dncnn = engine.load_denoiser("dncnn_25.pth")
        clean = dncnn.denoise(noisy)                    # u8 (H, W) gray or (H, W, 3) RGB
        engine.restore("old.mp4", "restored.mp4", denoiser=dncnn, epochs=20,
                       progress=lambda p: print(p.stage, p.done, p.total, p.eta_s))
        engine.restore("old.mp4", "scene.mp4", denoiser=dncnn, from_s=95.5, to_s=130, resume=True)

libreel.so is found at $REEL_LIBRARY, else by the system's library search (`ldconfig`,
LD_LIBRARY_PATH), else beside this file. It needs no .NET. Every failure of the library raises
ReelError with its message and status (E_* below); an argument Python can refuse first (an array's
dtype or shape, a closed handle, a number a C int cannot hold) raises ValueError. Nothing is
written when a call fails. Ctrl-C during a restore
stops it at its next frame or training step and raises KeyboardInterrupt once it has stopped,
keeping the shots it finished for resume=True.
"""

import ctypes as C
import ctypes.util
import math
import os
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

__all__ = ["Engine", "Model", "Progress", "ReelError", "version", "library",
           "OK", "E_INVALID_ARG", "E_IO", "E_CHECKPOINT", "E_CANCELLED"]

OK, E_INVALID_ARG, E_IO, E_CHECKPOINT, E_CANCELLED = 0, 1, 2, 3, 4
E_UNSUPPORTED, E_RUNTIME, E_OUT_OF_MEMORY, E_FAILED, E_INTERNAL = 5, 6, 7, 8, 9
_BACKENDS = {"auto": 0, "cpu": 1, "cpu-reference": 2, "cuda": 3}
_DENOISER, _COLORIZER = 1, 2
_GRAY8, _RGB24 = 1, 3
_DEINTERLACE = {"auto": 0, "all": 1, "off": 2, "ivtc": 3}


class ReelError(Exception):
    """A reel_ call failed: status is the reel_status, message what reel_last_error() said."""

    def __init__(self, status, name, message):
        super().__init__(f"{name}: {message}")
        self.status, self.name, self.message = status, name, message


class _Frame(C.Structure):  # reel_frame
    _fields_ = [("pixels", C.c_void_p), ("width", C.c_int32), ("height", C.c_int32),
                ("stride", C.c_int32), ("format", C.c_int32)]


class _ModelInfo(C.Structure):  # reel_model_info
    _fields_ = [("kind", C.c_int32), ("channels", C.c_int32)]


_PROGRESS_FN = C.CFUNCTYPE(C.c_int, C.c_void_p, C.c_char_p, C.c_int64, C.c_int64)


class _RestoreOptions(C.Structure):  # reel_restore_options
    _fields_ = [("denoiser", C.c_void_p), ("colorizer", C.c_void_p), ("temperature", C.c_float),
                ("stabilize", C.c_int32), ("epochs", C.c_int32), ("irt", C.c_int32), ("memory_mb", C.c_int32),
                ("progress", _PROGRESS_FN), ("progress_user", C.c_void_p)]


class _Progress(C.Structure):  # reel_progress
    _fields_ = [("size", C.c_int32), ("shot", C.c_int32), ("epoch", C.c_int32), ("epochs", C.c_int32),
                ("stage", C.c_char_p), ("detail", C.c_char_p), ("done", C.c_int64), ("total", C.c_int64),
                ("rate", C.c_double), ("eta_s", C.c_double), ("loss", C.c_double), ("elapsed_s", C.c_double)]


_PROGRESS_EX_FN = C.CFUNCTYPE(C.c_int, C.c_void_p, C.POINTER(_Progress))


class _RestoreJob(C.Structure):  # reel_restore_job
    _fields_ = [("size", C.c_int32), ("resume", C.c_int32), ("deinterlace", C.c_int32), ("max_shot_frames", C.c_int32),
                ("from_s", C.c_double), ("to_s", C.c_double), ("encoder", C.c_char_p), ("preset", C.c_char_p),
                ("frame_rate", C.c_char_p), ("crf", C.c_int32), ("strict", C.c_int32), ("save_every_s", C.c_double)]


@dataclass(frozen=True)
class Progress:
    """One progress event of a restore: the fields of `reel restore --progress json`, None where JSON has null."""
    stage: str
    done: int
    total: int | None
    rate: float | None
    eta_s: float | None
    shot: int | None
    epoch: int | None
    epochs: int | None
    loss: float | None
    elapsed_s: float
    detail: str


def _load():
    chosen = os.environ.get("REEL_LIBRARY")
    # A library named and not there is an error: falling back loaded another build than the one chosen, without a word.
    if chosen:
        try:
            lib = C.CDLL(chosen)
        except OSError as e:
            raise ImportError(f"REEL_LIBRARY={chosen} cannot be loaded ({e})") from e
        return _bind(lib)
    candidates = [ctypes.util.find_library("reel"), os.path.join(os.path.dirname(os.path.abspath(__file__)), "libreel.so")]
    tried = []
    for path in filter(None, candidates):
        try:
            lib = C.CDLL(path)
            break
        except OSError as e:
            tried.append(f"{path} ({e})")
    else:
        raise ImportError("libreel.so not found: set REEL_LIBRARY to its path, or install it (cmake --install); tried "
                          + ("; ".join(tried) or "REEL_LIBRARY (unset), the library path, this folder"))
    return _bind(lib)


def _bind(lib):
    for name, args in {
        "reel_version": [], "reel_last_error": [], "reel_status_string": [C.c_int],
        "reel_engine_create": [C.c_int, C.POINTER(C.c_void_p)], "reel_engine_free": [C.c_void_p],
        "reel_model_load": [C.c_void_p, C.c_int, C.c_char_p, C.POINTER(C.c_void_p)], "reel_model_free": [C.c_void_p],
        "reel_model_describe": [C.c_void_p, C.POINTER(_ModelInfo)],
        "reel_frame_denoise": [C.c_void_p, C.POINTER(_Frame), C.POINTER(_Frame)],
        "reel_frame_colorize": [C.c_void_p, C.c_float, C.POINTER(_Frame), C.POINTER(_Frame)],
        "reel_restore_options_init": [C.POINTER(_RestoreOptions)],
        "reel_restore_job_init_sized": [C.POINTER(_RestoreJob), C.c_int32],
        "reel_video_restore_job": [C.c_void_p, C.c_char_p, C.c_char_p, C.POINTER(_RestoreOptions), C.POINTER(_RestoreJob),
                                   _PROGRESS_EX_FN, C.c_void_p],
    }.items():
        try:
            f = getattr(lib, name)
        except AttributeError as e:
            # A libreel.so older than this binding (reel_restore_job_init_sized came in 0.4): said, not a bare AttributeError.
            raise ImportError(f"{lib._name} lacks {name}: it is older than this binding (reel.h 0.4); use the libreel.so built with it") from e
        f.argtypes = args
        f.restype = C.c_char_p if name in ("reel_version", "reel_last_error", "reel_status_string") else C.c_int
    return lib


library = _load()


def _c_int(name, value):
    """value for a C int field: ctypes wraps a larger one without a word (epochs=2**32 + 1 trained 1 epoch)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if not -2**31 <= value < 2**31:
        raise ValueError(f"{name} = {value} does not fit a C int (-2**31 to 2**31 - 1)")
    return int(value)


def version():
    """The library's version, "0.4.0" for reel.h 0.4.0."""
    return library.reel_version().decode()


def _check(status):
    if status != OK:
        raise ReelError(status, library.reel_status_string(status).decode(), library.reel_last_error().decode())


@contextmanager
def _sigint_deferred(failure):
    """
    While a call into C runs on the main thread, SIGINT's Python handler (default_int_handler's
    KeyboardInterrupt, or the program's own) runs inside a wrapper that adds what it raises to
    failure instead of raising it. Python runs signal handlers only between bytecodes of the main
    thread, which during the call means when C calls back into Python (the progress relay, on
    this thread): a handler that raises there raises on the relay's first line, outside any try,
    and ctypes prints the exception and drops it. Added to failure, it makes the relay cancel
    and is raised once the call has returned. Signals ignored (SIG_IGN), left to the system
    (SIG_DFL) or handled outside Python, and calls from other threads, are left as they are.
    """
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield
        return

    def deferred(signum, frame):
        try:
            previous(signum, frame)
        except BaseException as e:
            failure.append(e)

    signal.signal(signal.SIGINT, deferred)
    try:
        yield
    finally:
        # signal.signal runs the handlers of signals still pending first, so one that came after the
        # relay's last call is recorded in failure too.
        signal.signal(signal.SIGINT, previous)


def _path(path, name):
    """A path as C takes it; a NUL inside was cut there by ctypes without a word ("a.pth\\0junk" loaded a.pth)."""
    encoded = os.fsencode(path)
    if b"\0" in encoded:
        raise ValueError(f"{name} holds a NUL character: {path!r}")
    return encoded


def _frame(a, name):
    """A reel_frame over an array's rows (any row stride; the pixels within a row packed)."""
    if a.dtype != np.uint8 or a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] != 3):
        raise ValueError(f"{name} must be a u8 (H, W) gray or (H, W, 3) RGB array, got {a.dtype} {a.shape}")
    # Before the stride check: NumPy gives an empty array zero strides, which read as unpacked rows.
    if a.size == 0:
        raise ValueError(f"{name} is empty (shape {a.shape}): a frame needs at least one pixel")
    if a.strides[1:] != ((1,) if a.ndim == 2 else (3, 1)):
        raise ValueError(f"{name}'s pixels must be packed within each row")
    return _Frame(a.ctypes.data, a.shape[1], a.shape[0], a.strides[0], _GRAY8 if a.ndim == 2 else _RGB24)


def _progress(p):
    """A reel_progress as a Progress."""
    nan_none = lambda v: None if math.isnan(v) else v
    zero_none = lambda v: v or None
    return Progress(p.stage.decode(), p.done, zero_none(p.total), nan_none(p.rate), nan_none(p.eta_s),
                    zero_none(p.shot), zero_none(p.epoch), zero_none(p.epochs), nan_none(p.loss),
                    p.elapsed_s, (p.detail or b"").decode())


class Model:
    """A loaded checkpoint (reel_model). Freed by close(), by its engine's close(), or on garbage collection."""

    def __init__(self, engine, handle, kind):
        self._engine, self._handle, self.kind = engine, handle, kind
        info = _ModelInfo()
        _check(library.reel_model_describe(handle, C.byref(info)))
        self.channels = info.channels

    @property
    def handle(self):
        if self._handle is None or self._engine._handle is None:
            raise ValueError("this model has been freed")
        return self._handle

    def denoise(self, image):
        """A denoised copy of a u8 (H, W) gray or (H, W, 3) RGB array, exactly as `reel denoise` writes it."""
        image = np.ascontiguousarray(image)
        out = np.empty_like(image)
        _check(library.reel_frame_denoise(self.handle, C.byref(_frame(image, "image")), C.byref(_frame(out, "out"))))
        return out

    def colorize(self, image, temperature=1.0):
        """A (H, W, 3) u8 RGB colorization of a u8 gray or RGB array (its luminance), as `reel colorize` does it."""
        image = np.ascontiguousarray(image)
        out = np.empty(image.shape[:2] + (3,), np.uint8)
        _check(library.reel_frame_colorize(self.handle, temperature, C.byref(_frame(image, "image")), C.byref(_frame(out, "out"))))
        return out

    def close(self):
        if self._handle is not None and self._engine._handle is not None:
            _check(library.reel_model_free(self._handle))
        self._handle = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class Engine:
    """An engine on a backend ("auto", "cpu", "cpu-reference"); a context manager. Closing it frees its models."""

    def __init__(self, backend="auto"):
        if backend not in _BACKENDS:
            raise ValueError(f"backend must be one of {sorted(_BACKENDS)}, got {backend!r}")
        handle = C.c_void_p()
        _check(library.reel_engine_create(_BACKENDS[backend], C.byref(handle)))
        self._handle = handle.value

    def _load(self, kind, checkpoint):
        if self._handle is None:
            raise ValueError("this engine has been closed")
        handle = C.c_void_p()
        _check(library.reel_model_load(self._handle, kind, _path(checkpoint, "checkpoint"), C.byref(handle)))
        return Model(self, handle.value, kind)

    def load_denoiser(self, checkpoint):
        """A DnCNN checkpoint (KAIR, cszn or SaoYan .pth, or .safetensors)."""
        return self._load(_DENOISER, checkpoint)

    def load_colorizer(self, checkpoint):
        """An ECCV16 checkpoint (colorization_release_v2-9b330a0b.pth layout)."""
        return self._load(_COLORIZER, checkpoint)

    def restore(self, input_path, output_path, denoiser=None, colorizer=None, temperature=1.0,
                stabilize=True, epochs=None, irt=None, memory_mb=None, progress=None, *, from_s=None, to_s=None,
                deinterlace="auto", encoder=None, crf=None, preset=None, max_shot_frames=None, strict=False, resume=False,
                frame_rate=None, save_every=None):
        """
        Restores a video file or a folder of frames into a video file or a new folder of PNG frames
        as `reel restore` does (defaults: its own; from_s, to_s, deinterlace, encoder, crf, preset,
        max_shot_frames, strict, resume, frame_rate and save_every are its --from, --to, and so on, --fps and
        --save-every last).
        progress, if given, is called with a Progress for every event; returning True from it cancels
        (ReelError, status E_CANCELLED, and no output file; the shots finished are kept for resume=True);
        any other value goes on. A lambda returns what its call returns: tqdm's update() is True when it
        redraws, so progress=lambda p: bar.update(1) cancels; call it inside a def that returns nothing.
        An exception raised by progress, or Ctrl-C (SIGINT) while this runs on the main thread,
        cancels too, at the next frame or training step, and is raised once the restore has stopped
        (the join of the finished shots, last, reports nothing while it runs, and so is not cut short).
        """
        if self._handle is None:
            raise ValueError("this engine has been closed")
        opts = _RestoreOptions()
        _check(library.reel_restore_options_init(C.byref(opts)))
        opts.denoiser = denoiser.handle if denoiser else None
        opts.colorizer = colorizer.handle if colorizer else None
        opts.temperature = temperature
        opts.stabilize = 1 if stabilize else 0
        if epochs is not None:
            opts.epochs = _c_int("epochs", epochs)
        if irt is not None:
            opts.irt = 1 if irt else 0
        if memory_mb is not None:
            opts.memory_mb = _c_int("memory_mb", memory_mb)
        job = _RestoreJob()
        # As reel.h's reel_restore_job_init macro does: the library fills the struct this binding knows, no more.
        _check(library.reel_restore_job_init_sized(C.byref(job), C.sizeof(job)))
        if deinterlace not in _DEINTERLACE:
            raise ValueError(f"deinterlace must be one of {', '.join(_DEINTERLACE)}, got {deinterlace!r}")
        job.deinterlace = _DEINTERLACE[deinterlace]
        job.from_s = math.nan if from_s is None else from_s
        job.to_s = math.nan if to_s is None else to_s
        job.encoder = None if encoder is None else encoder.encode()
        job.preset = None if preset is None else preset.encode()
        job.frame_rate = None if frame_rate is None else str(frame_rate).encode()
        if crf is not None:
            job.crf = _c_int("crf", crf)
        if max_shot_frames is not None:
            job.max_shot_frames = _c_int("max_shot_frames", max_shot_frames)
        if save_every is not None:
            job.save_every_s = save_every
        job.strict = 1 if strict else 0
        job.resume = 1 if resume else 0
        failure = []

        # Passed to C with or without a progress callback of the caller's: it is how a Ctrl-C, which
        # _sigint_deferred adds to failure, cancels (C calls it at every frame and training step).
        def relay(_user, p):
            try:
                # A true bool only (numpy's too): any truthy value (an object a method returned) cancelled at the first event.
                if progress is not None and not failure:
                    answer = progress(_progress(p.contents))
                    if isinstance(answer, (bool, np.bool_)) and answer:
                        return 1
            except BaseException as e:  # never unwind through C: cancel, and raise it once the call returns
                failure.append(e)
            return 1 if failure else 0

        callback = _PROGRESS_EX_FN(relay)
        with _sigint_deferred(failure):
            status = library.reel_video_restore_job(self._handle, _path(input_path, "input_path"), _path(output_path, "output_path"),
                                                    C.byref(opts), C.byref(job), callback, None)
        if failure:
            raise failure[0]
        _check(status)

    def close(self):
        if self._handle is not None:
            _check(library.reel_engine_free(self._handle))
        self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
