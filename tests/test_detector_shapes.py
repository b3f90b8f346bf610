"""Detector shapes declared once (``detector_shapes.py``) and followed everywhere: the masks'
checks, the saved-view schema, the widgets, ``GET views`` and the lab's own shape types."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _api import get_json

from jupyter_remotem import view_contract
from jupyter_remotem.detector_shapes import DRAWN, FIELDS, LENGTHS, SHAPES
from jupyter_remotem.errors import BadParameter
from jupyter_remotem.kernels import masks
from jupyter_remotem.widgets import geometry

GEOMETRY_TS = Path(__file__).parents[1] / "labextension" / "src" / "viewer" / "geometry.ts"

EXAMPLES = {"disk": {"cx": 4, "cy": 5, "r": 2}, "ring": {"cx": 4, "cy": 5, "ri": 1, "ro": 3},
            "rectangle": {"x": 1, "y": 2, "width": 3, "height": 2}, "point": {"cx": 3, "cy": 3},
            "polygon": {"vertices": [[1, 1], [6, 1], [3, 6]]}, "weights": {"values": [[1.0] * 8] * 8}}


def test_every_declared_shape_makes_a_mask_and_each_missing_field_is_named() -> None:
    assert set(EXAMPLES) == set(FIELDS)
    for name, fields in FIELDS.items():
        mask = masks.from_spec({"shape": name, **EXAMPLES[name]}, (8, 8))
        assert mask.shape == (8, 8) and mask.sum() > 0, name
        for field in fields:
            spec = {"shape": name, **{k: v for k, v in EXAMPLES[name].items() if k != field}}
            with pytest.raises(BadParameter, match=field if name != "polygon" else "vertices"):
                masks.from_spec(spec, (8, 8))


@pytest.mark.parametrize("length", sorted(LENGTHS))
def test_declared_lengths_are_refused_negative(length: str) -> None:
    name = next(shape.name for shape in SHAPES if length in shape.lengths)
    with pytest.raises(BadParameter, match="must not be negative"):
        masks.from_spec({"shape": name, **EXAMPLES[name], length: -1}, (8, 8))


def test_the_view_schema_and_the_widgets_take_the_drawn_shapes() -> None:
    import jsonschema

    assert view_contract.SHAPE_KINDS == DRAWN == geometry.SHAPES
    assert "weights" not in DRAWN
    schema = jsonschema.Draft202012Validator(view_contract._shape())
    for name in DRAWN:
        shape = {"kind": name, **EXAMPLES[name]}
        assert schema.is_valid(shape), name
        for field in FIELDS[name]:
            assert not schema.is_valid({k: v for k, v in shape.items() if k != field}), (name, field)
        assert geometry.check_detectors([{"shape": name, **EXAMPLES[name]}])[0]["shape"] == name
    assert not schema.is_valid({"kind": "weights", "values": [[1.0]]})


def test_the_labs_shape_types_are_the_drawn_shapes_with_their_fields() -> None:
    """The lab's TypeScript union (its drag handles are per shape) names exactly what is declared."""
    source = GEOMETRY_TS.read_text()
    union = source[source.index("export type Shape ="):source.index("export type ShapeKind")]
    declared = {}
    for kind, body in re.findall(r"\{\s*kind: '(\w+)';([^}]*)\}", union):
        declared[kind] = tuple(re.findall(r"(\w+):", body))
    assert declared == {name: FIELDS[name] for name in DRAWN}


async def test_get_views_serves_the_shapes(jp_fetch) -> None:
    contract = await get_json(jp_fetch, "views")
    assert [shape["name"] for shape in contract["shapes"]] == [shape.name for shape in SHAPES]
    ring = next(shape for shape in contract["shapes"] if shape["name"] == "ring")
    assert ring["fields"] == ["cx", "cy", "ri", "ro"] and ring["lengths"] == ["ri", "ro"] and ring["drawn"]
