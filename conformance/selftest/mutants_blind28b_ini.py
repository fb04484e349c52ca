"""Blind red-team round 28, second pass (helper B230): the sft-pki/1 INITIATOR (`sft get` /
`sft put`) and the ENROLMENT client (`sft enroll`), through the lenses of
/work/briefs/s28/common.md. Phase 1 (blind): written from docs/SPEC.md (PWF-1/2, §1-§3 from
the initiator's side, §4.1-§4.3, §4.4's enrolment client sentences) and the reference's
client code (reference/pki/client.py, tls.py, enroll.py, cli/pki.py, transfer.py,
share.PartialFile) before any case file or the first pass's table was read. Checked
against the 4,524 registered mutants; ideas found there were dropped (r): the alias check
after the first request, the CRL or chain dropped on the busy retry (b14cl2, b28ini), the
Retry-After parsed with int() (lead20, test_enroll_retry_after_forms.py), the 7-day CRL
bound in whole days (b16pcl), the put's EOF in place of the receipt (b4pki), the chain
appended to root.pem (b26bini), an http proxy given the request in clear (b26bini).

L2 lost errors
  b28bini-partial-exit-swallows   the get's temporary file is a context manager whose
                                  __exit__ removes the temporary and returns True ("handled"):
                                  an integrity failure raised inside it vanishes, no EROR
                                  integrity_failed goes out and the get ends on an unbound
                                  result (APP-GET-3)
L3 every ending of a one-shot program
  b28bini-get-empty-no-done       a get announced with size 0 has nothing to receive: the
                                  empty file is committed at RSFL and the get reported done
                                  without waiting for DONE; a responder that ends the
                                  connection (or says EROR) in place of DONE still leaves a
                                  saved file and exit 0 (APP-GET-5)
L4/L5 retries, two implementations
  b28bini-enr-redirect-followed   a 307/308 answer to the enrolment POST is followed as
                                  HTTP libraries do (method and body kept): the request,
                                  password included, is sent again to the Location, over
                                  plain TCP when it says http:// (CA-ENR-1)

Blind result (3, a short pass: 45 minutes): partial-exit-swallows caught by the whole
suite (test_client_run_get_lies.py, test_interop_empty_transfers.py, large-get
integrity); enr-redirect-followed caught by test_client_run_enrolment.py (its 307/308
redirect cases: the idea was in the suite, not in a registered mutant's description);
get-empty-no-done missed by every file citing APP-GET-5 and by test_pki_initiator_transfer.py
-> test_pki_client_empty_get_ends.py (RSFL size 0, then close_notify, FIN or EROR
internal, no DONE).
"""

from __future__ import annotations

from conformance.selftest.mutant import Mutant, _module
from conformance.selftest.mutants_app import _patch_method, _patch_source

__all__ = ["MUTANTS"]

_GROUP = "blind28b-ini"


# -- lens 2 ------------------------------------------------------------------------------


def _partial_exit_swallows() -> None:
    share = _module("reference.share")
    _patch_method(
        share.PartialFile,
        "__exit__",
        (
            "        if not self._done:\n            self.abort()\n",
            "        if not self._done:\n            self.abort()\n"
            "        return True  # cleaned up: the failure is handled\n",
        ),
    )


# -- lens 3 ------------------------------------------------------------------------------


def _get_empty_no_done() -> None:
    _patch_method(
        _module("reference.transfer").Initiator,
        "get",
        (
            "            with PartialFile.create(destination, response.size) as partial:\n",
            "            if response.size == 0:  # nothing to receive: done at RSFL\n"
            "                with PartialFile.create(destination, 0) as partial:\n"
            "                    partial.commit(overwrite=overwrite)\n"
            "                return Done(0, __import__('hashlib').sha256().hexdigest())\n"
            "            with PartialFile.create(destination, response.size) as partial:\n",
        ),
    )


# -- lens 4/5 ----------------------------------------------------------------------------


def _enr_redirect_followed() -> None:
    enroll = _module("reference.pki.enroll")
    http_client = _module("http.client")
    json = _module("json")
    urllib_parse = _module("urllib.parse")

    def follow(
        location: str, body: dict[str, object], root_pem: bytes, timeout: float
    ) -> tuple[int, dict[str, str], bytes]:
        parsed = urllib_parse.urlsplit(location)
        if parsed.scheme == "https":
            url = f"https://{parsed.netloc}"
            answer: tuple[int, dict[str, str], bytes] = enroll.CaClient(
                url, root_pem, timeout
            ).request("POST", parsed.path or "/v1/enroll", body)
            return answer
        conn = http_client.HTTPConnection(
            parsed.hostname or "127.0.0.1", parsed.port or 80, timeout=timeout
        )
        try:
            conn.request(
                "POST",
                parsed.path or "/v1/enroll",
                body=json.dumps(body).encode(),
                headers={"Content-Type": "application/json"},
            )
            response = conn.getresponse()
            data = response.read(1 << 20)
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        except (OSError, http_client.HTTPException) as exc:
            raise enroll.EnrollError(f"the redirect failed ({type(exc).__name__})") from None
        finally:
            conn.close()

    enroll._b28b_follow = follow
    _patch_source(
        enroll,
        "enroll",
        (
            "    if status == 503:\n",
            "    if status in (307, 308) and headers.get('location'):  # as requests does\n"
            "        status, headers, data = _b28b_follow(\n"
            "            headers['location'], body, root_pem, timeout\n"
            "        )\n"
            "    if status == 503:\n",
        ),
    )


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        name="b28bini-partial-exit-swallows",
        group=_GROUP,
        profile="pki",
        requirement="APP-GET-3",
        test_file="test_client_run_get_lies.py",
        description="L2: the get's temporary file's __exit__ removes it and returns True: an "
        "integrity failure raised inside it vanishes (no EROR integrity_failed; the get "
        "ends on an unbound result)",
        apply=_partial_exit_swallows,
        client=True,
    ),
    Mutant(
        name="b28bini-get-empty-no-done",
        group=_GROUP,
        profile="pki",
        requirement="APP-GET-5",
        test_file="test_pki_client_empty_get_ends.py",
        description="L3: a get announced with size 0 is complete at RSFL: the empty file is "
        "committed and exit 0 without waiting for DONE; an EOF or EROR in place of DONE "
        "still leaves the file",
        apply=_get_empty_no_done,
        client=True,
    ),
    Mutant(
        name="b28bini-enr-redirect-followed",
        group=_GROUP,
        profile="pki",
        requirement="CA-ENR-1",
        test_file="test_client_run_enrolment.py",
        description="L4/L5: a 307/308 answer to the enrolment POST is followed with method and "
        "body kept: the password is sent again to the Location, over plain TCP for http://",
        apply=_enr_redirect_followed,
        client=True,
        enroll=True,
    ),
)
