"""No network, ever: detection (e-mail suffix checks included) works with sockets disabled."""

from __future__ import annotations

import socket

import pytest
from presidio_analyzer.nlp_engine import SpacyNlpEngine

from detectors import Detector
from detectors.offline import make_tldextract_offline
from tests.detectors.assertions import values_of


def refuse(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("detection tried to open a network connection")


def test_when_network_is_refused_then_emails_and_urls_are_still_checked(
    detector: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    text = "mail me at someone@example.co.uk or x@bad.notarealtld"
    assert values_of(detector.detect(text), text, "EMAIL_ADDRESS") == ["someone@example.co.uk"]


def test_when_presidio_email_recognizer_runs_then_it_uses_the_bundled_suffix_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    make_tldextract_offline()
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    results = EmailRecognizer().analyze("write to someone@example.com", ["EMAIL_ADDRESS"])
    assert [r.score for r in results] == [1.0]


def test_when_the_spacy_models_load_then_no_downloader_is_reached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The model comes only from the pinned package (requirements.lock). Presidio's own
    engine load calls its download hook for every model it is given (which fetches any
    model not installed): here the hook fails and sockets are refused, while the project's
    engine and the Presidio baseline of the benchmarks load."""
    from detectors.config import default_config_dir, load_detection_config
    from detectors.nlp import ProjectNlpEngine
    from tests.benchmarks.presidio_ootb import presidio_ootb_analyzer

    def no_download(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a spaCy model download was attempted")

    monkeypatch.setattr(SpacyNlpEngine, "_download_spacy_model_if_needed", no_download)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    engine = load_detection_config(default_config_dir()).detection.engine
    project = ProjectNlpEngine(engine.spacy_model, engine.ner_batch_size)
    project.load()
    assert project.is_loaded()
    assert presidio_ootb_analyzer().nlp_engine.is_loaded()
