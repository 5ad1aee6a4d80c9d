"""Configuration loading is fail-fast: missing files and unknown keys are errors."""

from __future__ import annotations

import pathlib
import shutil

import pydantic
import pytest

from detectors import Detector, load_detection_config


def copy_config(source: pathlib.Path, target: pathlib.Path) -> pathlib.Path:
    for name in ("detection.toml", "categories.toml"):
        shutil.copy(source / name, target / name)
    return target


def test_when_config_is_the_repository_default_then_it_loads(config_dir: pathlib.Path) -> None:
    config = load_detection_config(config_dir)
    assert config.category_of("CN_RESIDENT_ID") == ("identity_document", True)


@pytest.mark.parametrize("missing", ["detection.toml", "categories.toml"])
def test_when_a_file_is_missing_then_loading_fails(
    config_dir: pathlib.Path, tmp_path: pathlib.Path, missing: str
) -> None:
    (copy_config(config_dir, tmp_path) / missing).unlink()
    with pytest.raises(FileNotFoundError, match=missing):
        load_detection_config(tmp_path)


def test_when_an_unknown_key_is_present_then_loading_fails(
    config_dir: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    target = copy_config(config_dir, tmp_path) / "detection.toml"
    target.write_text(target.read_text(encoding="utf-8") + "\nsurprise = 1\n", encoding="utf-8")
    with pytest.raises(pydantic.ValidationError, match="surprise"):
        load_detection_config(tmp_path)


def test_when_an_entity_maps_to_an_unknown_category_then_loading_fails(
    config_dir: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    target = copy_config(config_dir, tmp_path) / "categories.toml"
    text = target.read_text(encoding="utf-8").replace('HEALTH = "health"', 'HEALTH = "wellness"')
    target.write_text(text, encoding="utf-8")
    with pytest.raises(pydantic.ValidationError, match="wellness"):
        load_detection_config(tmp_path)


def test_when_an_entity_has_no_category_then_the_detector_refuses_to_start(
    config_dir: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    target = copy_config(config_dir, tmp_path) / "categories.toml"
    text = target.read_text(encoding="utf-8").replace('WECHAT_ID = "online_identifier"\n', "")
    target.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="WECHAT_ID"):
        Detector(load_detection_config(tmp_path))
