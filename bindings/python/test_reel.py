"""python_binding: bindings/python/reel.py on libreel.so, as a Python user calls it.

Needs REEL_LIBRARY (libreel.so), REEL_EXECUTABLE (the reel CLI) and REEL_DATA (../shared/data);
ctest sets them. Set12/01.png with σ = 25 Gaussian noise denoised through the binding equals
`reel denoise` on the same image, pixel for pixel; a missing checkpoint raises ReelError naming
it; a small clip restores with progress events, and a progress callback that asks to stop
cancels with nothing written; a stretch of the clip restores through another encoder, and a
restore stopped after its first shot goes on from there with resume=True. SIGINT (Ctrl-C) during
a restore, with a progress callback or without, stops it within seconds with KeyboardInterrupt
raised to the caller and nothing written, and the shots it finished are resumed.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import numpy as np

import reel


def _require(variable):
    value = os.environ.get(variable)
    if not value or not os.path.exists(value):
        raise FileNotFoundError(f"{variable} must name an existing path (got {value!r}); run this test through ctest")
    return value


def _ffmpeg(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", *args], check=True)


def _noisy_clip(path):
    """6 noisy gray frames at 10 a second, 64×48, H.264."""
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=0.6", "-vf", "format=gray,noise=alls=20:allf=t",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", path)
    return path


def _long_clip(path):
    """40 noisy gray frames at 10 a second, 64×48, H.264: 10 shots of 4 frames, seconds of work without the prior."""
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=4", "-vf", "format=gray,noise=alls=20:allf=t",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", path)
    return path


# A Python program that restores argv[1] into argv[2] with the denoiser argv[3], with a progress
# callback that says "saved" for each shot kept (argv[4] "progress") or with none ("none"), and
# exits 130 if the restore raised KeyboardInterrupt. Python starts with SIGINT ignored when its
# parent ignores it (a background job of a non-interactive shell, as ctest may be): it is set to
# raise KeyboardInterrupt first, as in an interactive Python.
_INTERRUPTED_RESTORE = """
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
import reel
clip, output, weights, callback = sys.argv[1:]
def progress(p):
    if p.stage == "saved":
        print("saved", flush=True)
with reel.Engine("cpu") as engine:
    dncnn = engine.load_denoiser(weights)
    try:
        engine.restore(clip, output, denoiser=dncnn, stabilize=False, max_shot_frames=4,
                       progress=progress if callback == "progress" else None)
    except KeyboardInterrupt:
        sys.exit(130)
"""


def _video(path):
    """(frames, codec) of a video's first video stream, as ffprobe counts them."""
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                          "stream=codec_name,nb_read_frames", "-of", "csv=p=0", path], check=True, capture_output=True, text=True)
    codec, frames = out.stdout.strip().split(",")
    return int(frames), codec


def _read_pgm(path):
    """An 8-bit binary PGM as ffmpeg writes it (header fields on their own lines, no comments)."""
    with open(path, "rb") as f:
        header = []
        while len(header) < 4:
            header += f.readline().split()
        if header[0] != b"P5" or header[3] != b"255":
            raise ValueError(f"{path} is not an 8-bit binary PGM: {header}")
        width, height = int(header[1]), int(header[2])
        return np.frombuffer(f.read(width * height), np.uint8).reshape(height, width)


def _write_pgm(path, a):
    with open(path, "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (a.shape[1], a.shape[0]))
        f.write(a.tobytes())


def _psnr(a, b):
    return 10 * np.log10(255.0 ** 2 / np.mean((a.astype(np.float64) - b) ** 2))


class BindingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cli = _require("REEL_EXECUTABLE")
        data = _require("REEL_DATA")
        cls.weights = os.path.join(data, "weights", "kair_dncnn_25.pth")
        cls.image = os.path.join(data, "testsets", "Set12", "01.png")
        for path in (cls.weights, cls.image):
            if not os.path.exists(path):
                raise FileNotFoundError(f"test data missing: {path}")
        cls.work = tempfile.mkdtemp(prefix="reel-python-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def test_denoise_equals_the_cli_and_errors_name_the_file(self):
        self.assertEqual(reel.version(), "0.4.0")
        clean_pgm = os.path.join(self.work, "clean.pgm")
        _ffmpeg("-i", self.image, "-pix_fmt", "gray", "-frames:v", "1", "-update", "1", clean_pgm)
        clean = _read_pgm(clean_pgm)
        noise = np.random.default_rng(25).normal(0, 25, clean.shape)
        noisy = np.clip(np.rint(clean + noise), 0, 255).astype(np.uint8)
        noisy_pgm, cli_png, cli_pgm = (os.path.join(self.work, n) for n in ("noisy.pgm", "cli.png", "cli.pgm"))
        _write_pgm(noisy_pgm, noisy)
        subprocess.run([self.cli, "denoise", noisy_pgm, cli_png, "--weights", self.weights], check=True, capture_output=True)
        _ffmpeg("-i", cli_png, "-pix_fmt", "gray", "-frames:v", "1", "-update", "1", cli_pgm)

        with reel.Engine() as engine:
            dncnn = engine.load_denoiser(self.weights)
            self.assertEqual(dncnn.channels, 1)
            denoised = dncnn.denoise(noisy)
            padded = np.zeros((noisy.shape[0], noisy.shape[1] + 7), np.uint8)  # a row stride wider than the image
            padded[:, :noisy.shape[1]] = noisy
            from_view = dncnn.denoise(padded[:, :noisy.shape[1]])
            with self.assertRaises(reel.ReelError) as missing:
                engine.load_denoiser(os.path.join(self.work, "none.pth"))
            with self.assertRaisesRegex(ValueError, r"image is empty \(shape \(0, 0\)\)"):
                dncnn.denoise(np.zeros((0, 0), np.uint8))
        np.testing.assert_array_equal(denoised, _read_pgm(cli_pgm))
        np.testing.assert_array_equal(from_view, denoised)
        before, after = _psnr(noisy, clean), _psnr(denoised, clean)
        self.assertGreater(after, before + 5, f"PSNR {before:.2f} → {after:.2f} dB")
        self.assertEqual(missing.exception.status, reel.E_CHECKPOINT)
        self.assertIn(os.path.join(self.work, "none.pth"), missing.exception.message)
        print(f"\n  binding = reel denoise pixel for pixel; PSNR {before:.2f} → {after:.2f} dB; missing file: {missing.exception}")

    def test_restore_reports_progress_and_cancels(self):
        clip = _noisy_clip(os.path.join(self.work, "clip.mp4"))
        restored, cancelled = os.path.join(self.work, "restored.mp4"), os.path.join(self.work, "cancelled.mp4")
        events = []
        with reel.Engine("cpu") as engine:
            dncnn = engine.load_denoiser(self.weights)
            # A NUL was cut there by ctypes: the path before it was loaded.
            with self.assertRaises(ValueError):
                engine.load_denoiser(self.weights + "\0junk")
            # Only True cancels: a callback returning what it was given (truthy) stopped at the first event.
            engine.restore(clip, restored, denoiser=dncnn, stabilize=False, progress=lambda p: events.append(p) or p)
            with self.assertRaises(reel.ReelError) as stop:
                engine.restore(clip, cancelled, denoiser=dncnn, stabilize=False, progress=lambda p: p.stage == "process" and p.done >= 2)
            # A number a C int cannot hold is refused, where ctypes wrapped it (epochs=2**32 + 1 trained 1 epoch).
            for wrapped in ({"epochs": 2**32 + 1}, {"crf": 2**32 + 17}, {"max_shot_frames": -2**40}, {"memory_mb": 2**40}):
                with self.assertRaisesRegex(ValueError, f"{next(iter(wrapped))} = .* does not fit a C int"):
                    engine.restore(clip, cancelled, denoiser=dncnn, **wrapped)
        self.assertTrue(os.path.getsize(restored) > 0)
        encoded = [e for e in events if e.stage == "encode"]
        self.assertTrue(encoded, [e.stage for e in events])
        self.assertEqual((encoded[-1].done, encoded[-1].total), (6, 6))
        self.assertTrue(all(e.rate is None or e.rate > 0 for e in events))
        self.assertEqual(stop.exception.status, reel.E_CANCELLED)
        self.assertFalse(os.path.exists(cancelled))

    def test_a_library_named_and_not_there_is_an_error(self):
        # Falling back to the library path loaded another build than the one named, without a word.
        env = dict(os.environ, REEL_LIBRARY=os.path.join(self.work, "no-such", "libreel.so"))
        r = subprocess.run([sys.executable, "-c", "import reel"], env=env, capture_output=True, text=True,
                           cwd=os.path.dirname(os.path.abspath(reel.__file__)))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("REEL_LIBRARY=" + env["REEL_LIBRARY"] + " cannot be loaded", r.stderr)

    def test_restore_a_stretch_and_resume_a_stopped_one(self):
        clip = _noisy_clip(os.path.join(self.work, "clip6.mp4"))
        scene, resumed = os.path.join(self.work, "scene.mkv"), os.path.join(self.work, "resumed.mp4")
        events = []
        with reel.Engine("cpu") as engine:
            dncnn = engine.load_denoiser(self.weights)
            engine.restore(clip, scene, denoiser=dncnn, stabilize=False, from_s=0.2, to_s=0.5, encoder="ffv1")
            with self.assertRaises(reel.ReelError) as stop:
                engine.restore(clip, resumed, denoiser=dncnn, stabilize=False, max_shot_frames=3, progress=lambda p: p.stage == "saved")
            engine.restore(clip, resumed, denoiser=dncnn, stabilize=False, max_shot_frames=3, resume=True, progress=events.append)
            with self.assertRaises(ValueError):
                engine.restore(clip, scene, denoiser=dncnn, deinterlace="sometimes")
            with self.assertRaises(reel.ReelError) as never:
                engine.restore(clip, scene, denoiser=dncnn, save_every=-1)
        self.assertEqual(never.exception.status, reel.E_INVALID_ARG)
        self.assertIn("job.save_every_s must be ≥ 0 seconds", str(never.exception))
        self.assertEqual(_video(scene), (3, "ffv1"))
        self.assertEqual(stop.exception.status, reel.E_CANCELLED)
        self.assertEqual([e.done for e in events if e.stage == "resume"], [3])
        self.assertEqual([e.shot for e in events if e.stage == "saved"], [2])
        self.assertEqual(_video(resumed), (6, "h264"))

    def _interrupt(self, clip, output, callback):
        """
        Runs _INTERRUPTED_RESTORE in its own Python, sends it SIGINT once the restore is under way
        (its first shot kept, with a callback; its work folder there, without one), and returns
        (exit code, seconds from the signal to its exit, its stderr).
        """
        child = subprocess.Popen([sys.executable, "-c", _INTERRUPTED_RESTORE, clip, output, self.weights, callback],
                                 cwd=os.path.dirname(os.path.abspath(reel.__file__)),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            if callback == "progress":
                self.assertEqual(child.stdout.readline(), "saved\n", "the restore ended before its first shot was kept")
            else:
                work = os.path.join(os.path.dirname(output), f".{os.path.basename(output)}.reel-work")
                while not os.path.isdir(work):
                    self.assertIsNone(child.poll(), "the restore ended before its work folder was made")
                    time.sleep(0.05)
            child.send_signal(signal.SIGINT)
            sent = time.monotonic()
            _, stderr = child.communicate(timeout=60)
            return child.returncode, time.monotonic() - sent, stderr
        finally:
            child.kill()
            child.wait()

    def test_ctrl_c_stops_a_restore_with_keyboard_interrupt(self):
        clip = _long_clip(os.path.join(self.work, "clip40.mp4"))
        stopped = []
        for callback in ("progress", "none"):
            with self.subTest(callback=callback):
                output = os.path.join(self.work, f"interrupted-{callback}.mp4")
                code, seconds, stderr = self._interrupt(clip, output, callback)
                self.assertEqual(code, 130, f"no KeyboardInterrupt reached the caller: {stderr}")
                self.assertLess(seconds, 5, "the restore went on after SIGINT")
                self.assertNotIn("Exception ignored", stderr)
                self.assertFalse(os.path.exists(output))
                stopped.append(f"{callback} {seconds:.2f} s")
        print(f"\n  SIGINT: KeyboardInterrupt with nothing written, the restore's Python gone after ({', '.join(stopped)})")
        events = []
        output = os.path.join(self.work, "interrupted-progress.mp4")
        with reel.Engine("cpu") as engine:
            dncnn = engine.load_denoiser(self.weights)
            engine.restore(clip, output, denoiser=dncnn, stabilize=False, max_shot_frames=4, resume=True, progress=events.append)
        resumed = [e.done for e in events if e.stage == "resume"]
        self.assertTrue(resumed and resumed[0] >= 4, f"the shots kept before SIGINT were not resumed: {resumed}")
        self.assertEqual(_video(output), (40, "h264"))


if __name__ == "__main__":
    unittest.main()
