"""The one path-safety check: what it accepts, what it refuses."""

from __future__ import annotations

import pytest

from jupyter_remotem.errors import BadParameter, NotFound
from jupyter_remotem.storage import paths
from jupyter_remotem.storage.repository import Repository, RepositoryConfig


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, ""),
        ("", ""),
        ("/".join(["a", "b"]), "a/b"),
        ("a//b/", "a/b"),
        ("./a/./b", "a/b"),
        ("scan 1 (copy).h5", "scan 1 (copy).h5"),
        ("ünïcødé/ok.npy", "ünïcødé/ok.npy"),
        ("..hidden", "..hidden"),
    ],
)
def test_normalise_accepts_relative_paths(given, expected):
    assert paths.normalise(given) == expected


@pytest.mark.parametrize(
    "given",
    ["..", "a/../..", "a/..", "/etc/passwd", "C:/x", "a\\b", "a\x00b", "%2e%2e", "%252e%252e", "a/%2f/b", "x/\n"],
)
def test_normalise_refuses_escapes(given):
    with pytest.raises(BadParameter):
        paths.normalise(given)


def test_local_symlink_out_of_root_is_not_found(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    (root / "link.txt").symlink_to(outside)
    (root / "inside.txt").write_text("fine")
    (root / "inner_link.txt").symlink_to(root / "inside.txt")
    repo = Repository(RepositoryConfig.from_dict({"name": "r", "url": str(root)}))
    with pytest.raises(NotFound):
        repo.full_path("link.txt")
    assert repo.info("inner_link.txt").size == 4
    assert [entry.name for entry in repo.list("")] == ["inner_link.txt", "inside.txt"]


def test_read_only_repository_refuses_writes(tmp_path):
    from jupyter_remotem.errors import Forbidden

    repo = Repository(RepositoryConfig.from_dict({"name": "r", "url": str(tmp_path)}))
    with pytest.raises(Forbidden):
        repo.open("new.txt", "wb")
    assert not (tmp_path / "new.txt").exists()


@pytest.mark.parametrize(
    "raw",
    [{"url": "/x"}, {"name": "a/b", "url": "/x"}, {"name": "a", "url": "/x", "colour": "red"}],
)
def test_bad_repository_config_is_rejected(raw):
    with pytest.raises(ValueError):
        RepositoryConfig.from_dict(raw)
