"""No network, ever: tldextract (used for e-mail/URL validation) works from its bundled snapshot."""

from __future__ import annotations

import functools

import tldextract
import tldextract.tldextract


@functools.cache
def offline_tld_extractor() -> tldextract.TLDExtract:
    """A TLDExtract that never fetches the public-suffix list: no URLs, no disk cache."""
    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)


def make_tldextract_offline() -> None:
    """Stop the module-level extractor (used by Presidio's EmailRecognizer) from fetching.

    Clearing its URL list before first use makes it load the bundled snapshot instead.
    """
    tldextract.tldextract.TLD_EXTRACTOR.suffix_list_urls = ()
