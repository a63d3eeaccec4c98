"""Peplink/Pepwave router simulator: the documented Router API on aiohttp.

Serves ``/api/<object.name>`` exactly as ``peplink-router-api.txt`` documents
it: the ``{"stat": "ok", "response": ...}`` / ``{"stat": "fail", "code": N,
"message": "..."}`` envelope, cookie sessions (``bauth`` over HTTPS, ``pauth``
over plain HTTP), client-credential access tokens passed as the
``accessToken`` query parameter, and config objects that are written to a
pending copy until ``cmd.config.apply``.

Knobs in ``SimDevice.extra`` (all optional):

``session_ttl_s`` (600)
    Idle timeout of a login session; every authorised request renews it.
``token_ttl_s`` (172800)
    Lifetime of an access token, reported as ``expiresIn``.
``unauthorized_http_prefixes`` (``["cmd."]``)
    Object-name prefixes that answer an expired/unknown session with a plain
    HTTP 401; every other object answers HTTP 200 with the fail envelope and
    ``code`` 401. Real firmware mixes both, so drivers must handle both;
    ``[]`` makes every object answer 200, ``[""]`` makes every object 401.
``reboot_s`` (5.0)
    How long the device stays dark after ``cmd.cellularModule.reset``.
``wan_count`` (2)
    1 = cellular WAN only, 2 = ethernet + cellular.
``wifi_wan`` (True)
    Add a Wi-Fi WAN, disabled by default (used by ``cmd.wifi.scan``).
``gps`` (model dependent)
    Whether ``info.location`` answers (MAX models have GPS, Balance not).

The simulator's own clock (:meth:`PeplinkSimulator.now`) drives session and
token expiry; tests move it with :meth:`PeplinkSimulator.advance` instead of
sleeping. ``PeplinkSimulator.stats`` counts logins, grants, logouts and
unauthorised answers so tests can assert "exactly one re-login".
"""

from simulators.cpe.peplink.router import PeplinkSimulator

__all__ = ["PeplinkSimulator"]
