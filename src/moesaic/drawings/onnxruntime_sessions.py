"""onnxruntime plumbing for ``rapidocr``: quieter sessions and a grayscale detector input.

Both only save time: each gives the models the same input and the same results as
``rapidocr``'s own code (the tests check it on a small sheet).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def session(model_path: str, threads: int) -> Any:
    """An onnxruntime CPU session whose idle threads sleep instead of spinning.

    onnxruntime's default keeps intra-op threads spinning between operators. On two cores
    shared with other jobs the spinning threads take turns from the working ones: the same
    recognition took 4 times the wall time and twice the CPU time. The memory arena, off in
    ``rapidocr``'s own sessions, is turned back on: recognition inputs vary in width, and
    re-allocating each of them cost about a fifth of the time. Neither changes a result.
    The engine asks for one thread: on a busy machine that was the cheapest in both CPU and
    wall time (on one simulated sheet, detection 1.0 against 1.2 CPU seconds with two threads,
    recognition 2.8 against 3.6); it runs passes and lines side by side itself
    (:attr:`moesaic.drawings.ocr.RapidOCREngine.threads`).
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 4
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model_path, sess_options=options, providers=["CPUExecutionProvider"])


def quiet_sessions(model: Any, threads: int) -> Any:
    """``model``, a ``rapidocr_onnxruntime.RapidOCR``, with :func:`session` sessions.

    Its detector's and recogniser's sessions are rebuilt on the same model files (the
    orientation classifier is never used here).
    """
    for wrapper in (model.text_det.infer, model.text_rec.session):
        wrapper.session = session(wrapper.session._model_path, threads)
    return model


def detect_gray(detector: Any, gray: np.ndarray) -> list[np.ndarray]:
    """``rapidocr``'s text detector on a grayscale sheet, without making it three channels first.

    The detector's input is the same as ``detector(BGR copy)`` would make, to the bit: the same
    resize, and each grey level normalised by a table computed the way ``rapidocr`` computes
    it. Only the float64 arithmetic over three equal channels is saved (a fifth of a second on
    a 2000-pixel sheet).
    """
    height, width = gray.shape
    prepare = detector.get_preprocess(max(height, width))
    resized = prepare.resize(gray)
    if resized is None:
        return []
    levels = np.arange(256, dtype=np.uint8)[:, None].astype("float32")
    table = ((levels * prepare.scale - prepare.mean) / prepare.std).astype(np.float32)
    if not np.all(table == table[:, :1]):
        raise RuntimeError("rapidocr's detector normalises its colour channels differently")
    plane = table[:, 0][resized]
    batch = np.ascontiguousarray(np.broadcast_to(plane, (1, 3, *plane.shape)))
    preds = detector.infer(batch)[0]
    boxes, _ = detector.postprocess_op(preds, (height, width))
    return list(detector.filter_tag_det_res(boxes, (height, width)))
