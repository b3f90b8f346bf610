"""Every operation is declared once (parameters as a JSON Schema, outputs with their axes, the
primary output), and everything else follows from that declaration: ``GET operations``, the
validation of ``params`` with messages naming the parameter, the result's size in quotes and
limits.  The declarations are checked against what each operation really computes, and an
operation added at run time is served, validated and run like the built-in ones."""

from __future__ import annotations

import io
import json
import math
import uuid

import numpy as np
import pytest
from _api import api_path, call, refusal
from _toy_operation import peak_operation as toy_operation

from jupyter_remotem.compute.declarations import FRAME, SCAN, SINGLE
from jupyter_remotem.compute.operations import OPERATIONS, register, unregister
from jupyter_remotem.compute.reductions import reduce_array

#: Parameters each reduction accepts on a 5 × 6 scan of 9 × 11 frames (none: defaults only).
EXAMPLES = {
    "virtual_detector": {"detectors": [{"shape": "disk", "cx": 5, "cy": 4, "r": 2},
                                       {"shape": "ring", "cx": 5, "cy": 4, "ri": 2, "ro": 4}]},
    "com": {"cx": 5.0, "cy": 4.0},
    "frame_stats": {},
    "direct_beam": {},
    "pick": {"position": [2, 3]},
    "radial_profile": {"bins": 4, "sectors": 3},
    "crystallinity": {"r_in": 1, "r_out": 3, "beam_r": 2},
    "fem": {"ri": 1, "ro": 4},
    "blobs": {"radius": 2, "n_peaks": 3},
    "decomposition": {"components": 4},
    "neighbour_correlation": {},
}


class _Sum:
    """``apply``'s example: the sum of every pixel of every frame, one number."""

    def process(self, frames):
        return float(frames.sum())

    def merge(self, a, b):
        return a + b


def _user_code(function) -> dict:
    import base64

    import cloudpickle

    from jupyter_remotem.compute.user_functions import environment

    return {"function": base64.b64encode(cloudpickle.dumps(function)).decode(), "environment": environment()}


EXAMPLES.update(map=_user_code(lambda frame: float(frame.max())), apply=_user_code(_Sum()))


def test_every_operation_declares_a_valid_schema_and_its_outputs():
    import jsonschema

    for operation in OPERATIONS.values():
        declared = operation.declaration()
        jsonschema.Draft202012Validator.check_schema(declared["parameters"])
        assert declared["parameters"]["additionalProperties"] is False, operation.name
        for output in declared["outputs"]:
            assert output["place"] in (SCAN, FRAME, SINGLE)
            assert np.dtype(output["dtype"])
        if operation.kind == "reduction":
            assert declared["primary"] in {o["name"] for o in declared["outputs"]}, operation.name
    assert set(EXAMPLES) == {name for name, op in OPERATIONS.items() if op.kind == "reduction"}, \
        "every reduction has an example here"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_declared_outputs_are_what_the_operation_computes(name):
    """Names, shapes (scan, frame or single, plus the declared extra axes) and the bytes a
    quote counts, against the arrays really computed on random data."""
    data = np.random.default_rng(3).random((5, 6, 9, 11)).astype(np.float32)
    operation = OPERATIONS[name]
    result = reduce_array(data, name, EXAMPLES[name], nav_ndim=2)
    declared = {output.name: output for output in operation.outputs}
    assert set(result.arrays) == set(declared), name
    assert result.primary == operation.primary
    for array_name, array in result.arrays.items():
        output = declared[array_name]
        lead = {SCAN: data.shape[:2], FRAME: data.shape[2:], SINGLE: ()}[output.place]
        assert array.shape[:len(lead)] == lead, (name, array_name, array.shape)
        assert array.ndim == len(lead) + len(output.dims), (name, array_name, array.shape)
    if operation.plan is not None:
        from jupyter_remotem.formats.memory import array_dataset

        plan = operation.plan_for(array_dataset(data, 2), EXAMPLES[name])
        sizes = [np.dtype(declared[n].dtype).itemsize * np.asarray(a).size for n, a in result.arrays.items()]
        assert plan.bytes_out() == sum(sizes)
        assert plan.bytes_out(single_array=True) == max(sizes)


def test_a_1d_scan_has_the_com_fields_and_a_3d_one_has_not():
    com = OPERATIONS["com"]
    for shape, fields in (((7, 9, 11), True), ((2, 3, 4, 9, 11), False)):
        data = np.random.default_rng(5).random(shape).astype(np.float32)
        result = reduce_array(data, "com", {}, nav_ndim=len(shape) - 2)
        present = {o.name for o in com.outputs if o.present(type("G", (), {"nav_shape": shape[:-2]}))}
        assert set(result.arrays) == present
        assert ("magnitude" in present) is fields


@pytest.mark.parametrize(("operation", "params", "words"), [
    ("com", {"r": 0}, "parameter 'r' of com must be a number > 0 (or null), not 0"),
    ("com", {"cx": "middle"}, "parameter 'cx' of com must be a number (or null), not 'middle'"),
    ("com", {"flip_y": 1}, "parameter 'flip_y' of com must be true or false, not 1"),
    ("com", {"radius": 3}, "unknown parameter for com: radius"),
    ("virtual_detector", {}, "virtual_detector needs 'detectors'"),
    ("virtual_detector", {"detectors": []}, "parameter 'detectors' of virtual_detector must be a list of at least 1 item"),
    ("frame_stats", {"step": 2}, "unknown parameter for frame_stats: step"),
    ("pick", {"position": [1, -1]}, "parameter 'position'[1] of pick must be an integer ≥ 0, not -1"),
])
async def test_bad_parameters_are_refused_naming_the_parameter_and_what_it_takes(jp_fetch, operation, params,
                                                                                  words):
    code, body = await call(jp_fetch, "POST", "reductions",
                            body={"repository": "demo", "path": "scan.npy", "operation": operation, "params": params})
    assert code == 400, body
    assert words in body["error"]["message"].lower(), body
    assert body["error"]["hint"].startswith(f"{operation} takes"), body


@pytest.mark.parametrize(("operation", "params", "words"), [
    ("radial_profile", {"r_min": 5.0, "r_max": 5.0}, "r_max > r_min"),
    ("radial_profile", {"bins": 0}, "parameter 'bins' of radial_profile must be an integer ≥ 1"),
    ("radial_profile", {"sectors": 1.5}, "parameter 'sectors' of radial_profile must be an integer"),
    ("radial_profile", {"r_min": -1}, "must be a number ≥ 0"),
    ("crystallinity", {"r_in": 5, "r_out": 5}, "r_out > r_in"),
    ("crystallinity", {"r_in": 30, "r_out": 40}, "no frequency"),
    ("crystallinity", {"r_out": 4}, "crystallinity needs 'r_in'"),
    ("crystallinity", {"r_in": 1, "r_out": 4, "beam_r": 0}, "parameter 'beam_r' of crystallinity must be a number > 0"),
    ("fem", {"ri": 3, "ro": 2}, "ro > ri"),
    ("fem", {"ri": 1, "ro": 2, "cx": -50}, "holds no pixel"),
    ("fem", {"ri": "1", "ro": 2}, "parameter 'ri' of fem must be a number"),
    ("blobs", {"radius": 50}, "does not fit"),
    ("blobs", {"radius": 2, "min_distance": 0.5}, "parameter 'min_distance' of blobs must be a number ≥ 1"),
])
def test_what_the_schema_and_the_plan_refuse_says_why(operation, params, words):
    """The schema's refusals, and the plan's (what depends on the frame: the rings, the
    frequencies a transform has), read alike."""
    assert words in refusal(operation, params)


async def test_get_operations_serves_each_declaration(jp_fetch):
    response = await jp_fetch(*api_path("operations"), params={"repository": "demo", "path": "scan.npy"})
    listed = {op["name"]: op for op in json.loads(response.body)["operations"]}
    assert set(listed) == set(OPERATIONS)
    com = listed["com"]
    assert com["parameters"]["properties"]["r"]["x-unit"] == "px"
    assert com["parameters"]["properties"]["scan_rotation"]["default"] == 0.0
    assert [o["name"] for o in com["outputs"]][:2] == ["com_y", "com_x"] and com["primary"] == "magnitude"
    detector = listed["virtual_detector"]["outputs"][0]
    assert (detector["place"], [d["name"] for d in detector["dims"]]) == ("scan", ["detector"])
    assert listed["cast"]["parameters"]["required"] == ["dtype"]


@pytest.fixture
def peak_operation():
    name = f"peak_{uuid.uuid4().hex[:6]}"
    operation = register(toy_operation(name))
    yield operation
    unregister(name)


async def test_an_operation_added_at_run_time_is_served_validated_and_run(jp_fetch, demo_dir, peak_operation):
    name = peak_operation.name
    response = await jp_fetch(*api_path("operations"), params={"repository": "demo", "path": "scan.npy"})
    listed = {op["name"]: op for op in json.loads(response.body)["operations"]}
    assert listed[name]["available"] and listed[name]["parameters"]["properties"]["floor"]["default"] == 0.0
    assert listed[name]["outputs"] == [{"name": "peak", "place": "scan", "description": "the brightest pixel",
                                        "dims": [], "dtype": "float64", "unit": None, "when": None,
                                        "colour": False}]
    scan = np.load(demo_dir / "scan.npy")
    response = await jp_fetch(*api_path("reductions"), method="POST", params={"format": "npy"},
                              body=json.dumps({"repository": "demo", "path": "scan.npy", "operation": name,
                                               "params": {"floor": 1e9}}))
    np.testing.assert_array_equal(np.load(io.BytesIO(response.body)), np.full(scan.shape[:2], 1e9))
    response = await jp_fetch(*api_path("reductions"), method="POST", params={"format": "npy"},
                              body=json.dumps({"repository": "demo", "path": "scan.npy", "operation": name}))
    peak = np.load(io.BytesIO(response.body))
    np.testing.assert_array_equal(peak, scan.reshape(*scan.shape[:2], -1).max(axis=-1).clip(0))
    code, body = await call(jp_fetch, "POST", "reductions",
                            body={"repository": "demo", "path": "scan.npy", "operation": name,
                                  "params": {"floor": "high"}})
    assert code == 400 and f"parameter 'floor' of {name} must be a number" in body["error"]["message"].lower()


async def test_copy_is_declared_like_every_operation_and_refused_where_it_does_not_run(jp_fetch):
    """``copy`` is served with its request's schema, its declared keys bound what a copy request
    takes, and asking for it as a reduction says where it runs instead."""
    status, answer = await call(jp_fetch, "GET", "operations")
    assert status == 200
    copy = {operation["name"]: operation for operation in answer["operations"]}["copy"]
    assert copy["kind"] == "copy" and copy["available"] is True
    assert set(copy["parameters"]["properties"]) == {"source", "target", "overwrite", "priority"}
    assert copy["parameters"]["required"] == ["source", "target"]
    status, refused = await call(jp_fetch, "POST", "reductions", body={
        "repository": "demo", "path": "scan.h5", "operation": "copy", "params": {}})
    assert status == 400 and "POST remotem/api/jobs" in refused["error"]["hint"], refused
    status, refused = await call(jp_fetch, "POST", "jobs", body={
        "operation": "copy", "source": {"repository": "demo", "path": "scan.h5"},
        "target": {"repository": "demo", "path": "x.h5"}, "speed": "fast"})
    assert status == 400 and "speed" in refused["error"]["message"], refused
    assert "overwrite, priority, source, target" in refused["error"]["hint"]
