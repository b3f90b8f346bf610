"""The client's methods follow the operations' declarations.

An operation without a method of its own — one added to the server at run time, or
``direct_beam`` — is ``ds.<name>(...)`` on remote and local datasets alike, with the signature
and docstring its declaration gives; the methods written out by hand take exactly the
parameters their declarations name."""

from __future__ import annotations

import inspect
import uuid

import numpy as np
import pytest
from _client import client, in_thread, kernel_env, scan  # noqa: F401 (fixtures)
from _toy_operation import peak_operation

from jupyter_remotem.client import BadRequest
from jupyter_remotem.client.analysis import Analysis
from jupyter_remotem.client.local import LocalDataset
from jupyter_remotem.compute.operations import OPERATIONS, register, unregister

#: Arguments of every reduction method that are not the operation's parameters.
OPTIONS = {"self", "roi", "field", "step", "coarse", "as_xarray"}
#: Methods whose arguments are the client's own shape of the declared parameters, and why.
SHAPED = {
    "pick": {"y", "x"},            # a position as (y, x) or a sequence, sent as "position"
    "map": {"function", "name"},   # the function is pickled into "function", "environment" added
    "apply": {"udf", "name"},
    "mask_crop": {"polygon", "mask", "fill"},  # a region of the scan ("on") is a job's, not a lazy step
}


@pytest.fixture
def toy() -> str:
    name = f"peak_{uuid.uuid4().hex[:6]}"
    register(peak_operation(name))
    yield name
    unregister(name)


def test_each_written_method_takes_the_parameters_its_declaration_names() -> None:
    for name, operation in OPERATIONS.items():
        method = getattr(Analysis, name, None)
        if method is None:
            continue
        taken = set(inspect.signature(method).parameters) - OPTIONS
        declared = {parameter.name for parameter in operation.parameters}
        assert taken == SHAPED.get(name, declared), (name, taken, declared)


def test_a_declared_operation_without_a_method_is_one_with_its_signature_and_docstring(toy) -> None:
    frames = np.random.default_rng(3).integers(0, 1000, (3, 5, 7, 9)).astype(np.float32)
    frames[1, 2] = np.nan
    local = LocalDataset(frames, 2)
    method = getattr(local, toy)
    assert str(inspect.signature(method)) == "(*, floor=0.0, roi=None, field=None, step=1, coarse=False, as_xarray=False)"
    assert "The brightest pixel of each frame." in method.__doc__
    assert "floor (number, default 0.0): the least value answered" in method.__doc__
    assert toy in dir(local) and "copy" not in dir(local) and "map" in dir(local)
    np.testing.assert_array_equal(method(), np.maximum(frames.reshape(3, 5, -1).max(axis=-1), 0.0))
    np.testing.assert_array_equal(method(floor=5000.0), np.maximum(frames.reshape(3, 5, -1).max(axis=-1), 5000))
    with pytest.raises(TypeError, match="floo"):
        method(floo=1)
    with pytest.raises(AttributeError, match="no attribute 'peak_none'"):
        local.peak_none  # noqa: B018
    # direct_beam has no written method: its declaration makes one, answering both its arrays.
    clean = LocalDataset(np.nan_to_num(frames), 2)
    answer = clean.direct_beam()
    assert set(answer) == {"beam", "mean"} and answer["beam"].shape == (3,)
    np.testing.assert_allclose(clean.direct_beam(field="mean"), np.nan_to_num(frames).mean(axis=(0, 1)), rtol=1e-5)


async def test_an_operation_added_to_the_server_is_a_method_of_remote_datasets(client, scan, toy) -> None:
    remote = await in_thread(client.open, "demo", "scan.npy")
    method = await in_thread(getattr, remote, toy)
    assert str(inspect.signature(method)).startswith("(*, floor=0.0, roi=None")
    assert "floor (number, default 0.0)" in method.__doc__
    assert toy in await in_thread(dir, remote)
    expected = scan.reshape(*scan.shape[:2], -1).max(axis=-1).astype(np.float64)
    np.testing.assert_array_equal(await in_thread(method), expected)
    np.testing.assert_array_equal(await in_thread(method, floor=1e9), np.full(scan.shape[:2], 1e9))
    with pytest.raises(BadRequest, match="floor"):
        await in_thread(method, floor="high")
