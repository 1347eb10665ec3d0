"""Unit tests of the worker script's pure parts. Run from the repository root:

    python3 -m unittest discover -s inference/mlx/worker -p 'test_*.py'

The Go tests (inference/mlx_test.go) run the whole script against the stand-in mlx_vlm.
"""
import base64
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
STANDIN = os.path.join(os.path.dirname(HERE), "testdata")  # the stand-in mlx_vlm and mlx (test tree only)
sys.path.insert(0, HERE)
sys.path.insert(1, STANDIN)
import narrator_worker as w  # noqa: E402
import mlx.core as standin_mx  # noqa: E402
import mlx_vlm as standin_mlx_vlm  # noqa: E402


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


class FakeProto(object):
    def __init__(self):
        self.events = []

    def send(self, event, **fields):
        fields["event"] = event
        self.events.append(fields)


class Piece(object):
    def __init__(self, text, finish=None):
        self.text = text
        self.finish_reason = finish
        self.prompt_tokens = 300
        self.prompt_tps = 3000.0
        self.generation_tokens = 1
        self.generation_tps = 200.0
        self.peak_memory = 1.5


class FakeModel(object):
    def __init__(self, pieces, fail=None, on_piece=None):
        self.pieces = pieces
        self.fail = fail
        self.on_piece = on_piece

    def stream(self, req):
        for i, p in enumerate(self.pieces):
            if self.on_piece:
                self.on_piece(i)
            yield p
        if self.fail:
            raise self.fail


class CheckPython(unittest.TestCase):
    def test_old_python(self):
        self.assertEqual(w.check_python((3, 9, 6), "Darwin", "arm64")[0], "python_too_old")

    def test_rosetta_python(self):
        self.assertEqual(w.check_python((3, 12, 1), "Darwin", "x86_64")[0], "python_not_arm64")

    def test_good_pythons(self):
        self.assertIsNone(w.check_python((3, 12, 1), "Darwin", "arm64"))
        self.assertIsNone(w.check_python((3, 10, 0), "Linux", "x86_64"))


class Versions(unittest.TestCase):
    def test_parse(self):
        self.assertEqual(w.parse_version("0.6.15"), (0, 6, 15))
        self.assertEqual(w.parse_version("0.3.6rc1"), (0, 3, 6))
        self.assertLess(w.parse_version("0.3.5"), w.MIN_MLX_VLM)
        # 0.3.12 brought mlx-vlm's own FastVLM processor; older ones need PyTorch and timm.
        self.assertLess(w.parse_version("0.3.11"), w.MIN_MLX_VLM)
        self.assertGreaterEqual(w.parse_version("0.3.12"), w.MIN_MLX_VLM)
        self.assertGreaterEqual(w.parse_version("0.10.0"), w.MIN_MLX_VLM)


class Requests(unittest.TestCase):
    def good(self, **kw):
        req = {"id": "a", "image": "data:image/jpeg;base64,AAAA", "prompt": "Describe.", "max_tokens": 64}
        req.update(kw)
        return req

    def test_defaults(self):
        r = w.validate_generate(self.good())
        self.assertEqual((r["temperature"], r["top_p"], r["repetition_penalty"], r["system"]), (0.0, 1.0, None, ""))

    def test_rejects(self):
        for bad in [dict(id=""), dict(image="relative.jpg"), dict(image="/no/such/file.jpg"), dict(image=7),
                    dict(prompt=" "), dict(max_tokens=None), dict(max_tokens=0), dict(max_tokens=True),
                    dict(max_tokens=5000), dict(temperature=-1), dict(top_p="x"), dict(system=3)]:
            with self.assertRaises(w.BadRequest, msg=str(bad)):
                w.validate_generate(self.good(**bad))

    def test_image_file(self):
        path = os.path.abspath(__file__)
        self.assertEqual(w.validate_generate(self.good(image=path))["image"], path)

    def test_prompt(self):
        self.assertEqual(w.build_prompt("Look <image> here", ""), "Look  here")
        self.assertEqual(w.build_prompt("Look", "Be brief."),
                         [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Look"}])


class WarmUpImage(unittest.TestCase):
    def test_png(self):
        uri = w.tiny_png_data_uri(8)
        data = base64.b64decode(uri.split(",", 1)[1])
        self.assertTrue(uri.startswith("data:image/png;base64,"))
        self.assertTrue(data.startswith(b"\x89PNG\r\n\x1a\n"))
        self.assertTrue(data.endswith(b"IEND\xaeB`\x82"))


class Generate(unittest.TestCase):
    req = {"id": "r1"}

    def test_streams_and_finishes(self):
        proto = FakeProto()
        w.generate(FakeModel([Piece("A"), Piece(" cat", "stop")]), self.req, None, proto)
        self.assertEqual([e["event"] for e in proto.events], ["delta", "delta", "done"])
        done = proto.events[-1]
        self.assertEqual((done["text"], done["finish_reason"], done["model_ttft_s"]), ("A cat", "stop", 0.1))

    def test_error_is_one_line(self):
        proto = FakeProto()
        stderr, sys.stderr = sys.stderr, io.StringIO()
        try:
            w.generate(FakeModel([Piece("A")], fail=ValueError("bad\nthing")), self.req, None, proto)
        finally:
            sys.stderr = stderr
        err = proto.events[-1]
        self.assertEqual((err["event"], err["code"], err["fatal"]), ("error", "generation_failed", False))
        self.assertEqual(err["message"], "ValueError: bad thing")

    def test_cancel_stops_between_pieces(self):
        proto = FakeProto()
        reader = w.Reader(proto, io.BytesIO(b""))
        model = FakeModel([Piece("A"), Piece(" b"), Piece(" c")],
                          on_piece=lambda i: i == 1 and reader.cancelled.add("r1"))
        w.generate(model, self.req, reader, proto)
        done = proto.events[-1]
        self.assertEqual((done["event"], done["finish_reason"], done["text"]), ("done", "cancelled", "A b"))
        self.assertNotIn("r1", reader.cancelled)

    def test_cancel_before_start(self):
        proto = FakeProto()
        reader = w.Reader(proto, io.BytesIO(b""))
        reader.cancelled.add("r1")
        w.generate(FakeModel([Piece("A")]), self.req, reader, proto)
        self.assertEqual([(e["event"], e.get("finish_reason")) for e in proto.events], [("done", "cancelled")])


class ReaderThread(unittest.TestCase):
    def test_requests_and_errors(self):
        proto = FakeProto()
        lines = [b'{"op":"generate","id":"a"}', b"not json", b'{"op":"nope","id":"z"}',
                 b'{"op":"cancel","id":"a"}', b'{"op":"shutdown"}', b'{"op":"generate","id":"late"}']
        r = w.Reader(proto, io.BytesIO(b"\n".join(lines) + b"\n"))
        r.run()
        self.assertEqual(r.requests.get_nowait()["id"], "a")
        self.assertIsNone(r.requests.get_nowait())
        self.assertTrue(r.requests.empty())
        self.assertIn("a", r.cancelled)
        self.assertEqual([e["code"] for e in proto.events], ["bad_request", "bad_request"])

    def test_eof_means_shutdown(self):
        r = w.Reader(FakeProto(), io.BytesIO(b""))
        r.run()
        self.assertIsNone(r.requests.get_nowait())


class Protocol(unittest.TestCase):
    def test_one_line_per_event(self):
        buf = io.StringIO()
        w.Protocol(buf).send("delta", id="a", text="two\nlines")
        line = buf.getvalue()
        self.assertEqual(line.count("\n"), 1)
        self.assertEqual(json.loads(line), {"event": "delta", "id": "a", "text": "two\nlines"})


class Snapshot(unittest.TestCase):
    def test_check(self):
        with tempfile.TemporaryDirectory() as d:
            self.assertIn("config.json", w.check_snapshot(d))
            write(os.path.join(d, "config.json"), "{}")
            self.assertIn("safetensors", w.check_snapshot(d))
            write(os.path.join(d, "model-00001-of-00002.safetensors"), "x")
            write(os.path.join(d, "model.safetensors.index.json"), json.dumps(
                {"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}))
            self.assertIn("00002", w.check_snapshot(d))
            write(os.path.join(d, "model-00002-of-00002.safetensors"), "x")
            self.assertIsNone(w.check_snapshot(d))

    def test_dangling_links_and_bad_index(self):
        with tempfile.TemporaryDirectory() as d:
            write(os.path.join(d, "config.json"), "{}")
            os.symlink(os.path.join(d, "gone"), os.path.join(d, "model.safetensors"))  # a blob that is gone
            self.assertIn("no .safetensors", w.check_snapshot(d))
            write(os.path.join(d, "model.safetensors.index.json"), "{trunc")
            self.assertIn("unreadable weight index", w.check_snapshot(d))


def standin_model(model_type):
    """A Model around the stand-in mlx_vlm, as serve builds it after load."""
    model, processor = standin_mlx_vlm.load("/nonexistent")
    model.config.model_type = model_type
    return w.Model(standin_mlx_vlm, model, processor, {"model_type": model_type}, standin_mx)


REQ = {"id": "r1", "image": "data:image/png;base64," + w.tiny_png_data_uri(8).split(",", 1)[1], "prompt": "Describe.",
       "system": "Be brief.", "max_tokens": 64, "temperature": 0.0, "top_p": 1.0, "repetition_penalty": None}


class ImageSlot(unittest.TestCase):
    def test_model_types_mlx_vlm_formats_with_an_image(self):
        for model_type in ["llava_qwen2", "qwen2_5_vl"]:
            m = standin_model(model_type)
            chat = w.build_prompt("Describe.", "Be brief.")
            self.assertIsNone(m.image_slot_problem(chat, m.format(chat, 1)), model_type)

    def test_formats_where_the_processor_places_the_image(self):
        for model_type in ["florence2", "molmo"]:
            m = standin_model(model_type)
            self.assertIsNone(m.image_slot_problem("Describe.", m.format("Describe.", 1)), model_type)

    def test_model_type_missing_from_mlx_vlm_table(self):
        m = standin_model("gemma3_text")
        problem = m.image_slot_problem("Describe.", m.format("Describe.", 1))
        self.assertIn("'gemma3_text'", problem)
        self.assertIn("text only", problem)

    def test_chat_template_that_drops_the_image(self):
        m = standin_model("qwen2_5_vl")
        m.format = lambda chat, num_images: "<|im_start|>user\nDescribe.<|im_end|>\n"
        problem = m.image_slot_problem("Describe.", m.format("Describe.", 1))
        self.assertIn("chat template of model type 'qwen2_5_vl' drops the image", problem)

    def test_generate_refuses_with_the_model_type(self):
        proto = FakeProto()
        w.generate(standin_model("gemma3_text"), dict(REQ), None, proto)
        err = proto.events[-1]
        self.assertEqual((err["event"], err["code"], err["fatal"]), ("error", "no_image_slot", False))
        self.assertIn("'gemma3_text'", err["message"])

    def test_generate_with_a_slot_streams(self):
        proto = FakeProto()
        w.generate(standin_model("llava_qwen2"), dict(REQ), None, proto)
        self.assertEqual(proto.events[-1]["event"], "done")


class PeakMemory(unittest.TestCase):
    def test_each_request_reports_its_own_peak(self):
        m = standin_model("llava_qwen2")
        standin_mx._use(7e9)  # an earlier, bigger request
        proto = FakeProto()
        w.generate(m, dict(REQ), None, proto)
        self.assertEqual(proto.events[-1]["peak_memory_gb"], 1.9)

    def test_older_mlx_keeps_it_under_metal(self):
        calls = []
        w.reset_peak_memory(SimpleNamespace(metal=SimpleNamespace(reset_peak_memory=lambda: calls.append(1))))
        w.reset_peak_memory(SimpleNamespace())  # nothing to reset: no error
        self.assertEqual(calls, [1])


def run_worker(args, pythonpath):
    env = dict(os.environ, PYTHONPATH=pythonpath)
    out = subprocess.run([sys.executable, os.path.join(HERE, "narrator_worker.py")] + args, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return [json.loads(line) for line in out.stdout.decode().splitlines()], out.returncode


class Verify(unittest.TestCase):
    def test_imports_mlx_vlm_and_mlx_core(self):
        events, code = run_worker(["verify"], STANDIN)
        self.assertEqual(code, 0)
        self.assertEqual((events[0]["event"], events[0]["mlx_vlm"], events[0]["mlx"]), ("verified", "0.6.15", "0.32.0"))

    def test_metadata_without_the_package_is_not_installed(self):
        # An interrupted install: mlx-vlm's files and metadata are there, mlx's package is not.
        with tempfile.TemporaryDirectory() as d:
            for name in ["mlx_vlm", "mlx_vlm-0.6.15.dist-info", "mlx-0.32.0.dist-info"]:
                os.symlink(os.path.join(STANDIN, name), os.path.join(d, name))
            events, code = run_worker(["verify"], d)
        self.assertEqual(code, 2)
        self.assertEqual((events[0]["code"], events[0]["fatal"]), ("mlx_vlm_missing", True))
        self.assertIn("No module named 'mlx'", events[0]["message"])

    def test_too_old(self):
        env_version = os.environ.get("FAKE_MLX_VLM_VERSION")
        os.environ["FAKE_MLX_VLM_VERSION"] = "0.3.11"
        try:
            events, code = run_worker(["verify"], STANDIN)
        finally:
            if env_version is None:
                del os.environ["FAKE_MLX_VLM_VERSION"]
            else:
                os.environ["FAKE_MLX_VLM_VERSION"] = env_version
        self.assertEqual(events[0]["code"], "mlx_vlm_too_old")
        self.assertIn("needs 0.3.12 or newer", events[0]["message"])


if __name__ == "__main__":
    unittest.main()
