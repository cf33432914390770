"""The worksheet's public URLs: the SMART launch URL (the card's `smart` link and the
EHR registration) and the OAuth redirect URI, both on PUBLIC_BASE_URL.

Without PUBLIC_BASE_URL they point at the local `trialcds serve` (127.0.0.1:8080), the
README's demo; every deployment reached through a proxy or another port sets it.
"""

from __future__ import annotations

LAUNCH_PATH = "/worksheet/launch"
CALLBACK_PATH = "/worksheet/callback"
LOCAL_BASE_URL = "http://127.0.0.1:8080"


def launch_url(public_base_url: str | None) -> str:
    """The URL an EHR opens, with `iss` and `launch` appended, to launch the worksheet."""
    return (public_base_url or LOCAL_BASE_URL).rstrip("/") + LAUNCH_PATH
