#!/usr/bin/env python3
"""Reference AWS Signature Version 4 signer, backed by botocore.

Purpose: an oracle for testing the Swift SigV4 implementation.  For each
request described on stdin it prints what botocore (the library boto3 uses)
computes: the Authorization header, the canonical request and the string to
sign.  Only botocore is needed (`pip install botocore`).

Input (stdin): a JSON list (a single object is also accepted) of requests:

    {
      "kind":         "s3" | "plain",   # optional, default "s3"
                                        #   s3    -> botocore.auth.S3SigV4Auth
                                        #            (what boto3 uses for S3:
                                        #            path used verbatim)
                                        #   plain -> botocore.auth.SigV4Auth
                                        #            (generic services: path is
                                        #            normalised + re-encoded)
      "method":       "GET",
      "url":          "http://127.0.0.1:5077/bucket/key?list-type=2",
                                        # path and query exactly as they go
                                        # on the wire (already percent-encoded)
      "headers":      {"host": "...", "x-amz-date": "...",
                       "x-amz-content-sha256": "...", "if-none-match": "*"},
      "body_sha256":  "<hex>" | "UNSIGNED-PAYLOAD",   # optional, see below
      "region":       "us-east-1",
      "service":      "s3",
      "access_key":   "AKID...",
      "secret_key":   "...",
      "session_token": "...",           # optional
      "time":         "20150830T123600Z"
    }

Output (stdout): a JSON list, one object per request, in order:

    {"authorization": "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...",
     "canonical_request": "...", "string_to_sign": "...",
     "signature": "<hex>", "signed_headers": "host;x-amz-content-sha256;x-amz-date"}

Exit status 0 on success; 2 (message on stderr, nothing on stdout) when a
request is malformed or botocore would have signed headers other than the
ones given (see "Guarantee" below).

Usage:
    python3 scripts/sigv4_reference.py < requests.json
    python3 scripts/sigv4_reference.py --self-test   # known AWS vectors

How it works (checked against botocore 1.29.0, 1.43.11 and 1.44.8):

* The real signing entry point, ``add_auth()``, is called, so the code path is
  the one boto3 runs.  It reads the clock once through
  ``botocore.auth.get_current_datetime()`` (botocore >= ~1.32; older versions
  called ``datetime.datetime.utcnow()`` inside botocore/auth.py).  We patch
  whichever exists for the duration of the call, then assert that
  ``request.context['timestamp']`` equals the requested time.

* Before signing, ``add_auth()`` rewrites some headers
  (``_modify_request_before_signing``):
    - removes any Authorization header;
    - replaces X-Amz-Date with the (frozen) time -- or, if a ``Date`` header
      is present, replaces Date with an RFC 1123 date and *removes*
      X-Amz-Date;
    - if a session token is configured, replaces X-Amz-Security-Token with it;
    - S3SigV4Auth only: replaces X-Amz-Content-SHA256 with
      ``self.payload(request)``, which normally hashes the body (or returns
      UNSIGNED-PAYLOAD under some https conditions).
  We never have the body, only its hash, so the signer subclass below
  overrides ``payload()`` to return ``body_sha256``.  S3SigV4Auth then writes
  exactly that value into X-Amz-Content-SHA256, and SigV4Auth ("plain") uses
  it as the last line of the canonical request when no X-Amz-Content-SHA256
  header is given.

* ``body_sha256`` may be omitted: then the x-amz-content-sha256 header value
  is used if given, else the SHA-256 of the empty string.  If both are given
  they must be equal.

* Guarantee: after signing, the request's headers (other than
  Authorization) are compared with the ones given, case-insensitively on
  names and exactly on values.  Any header added, removed or changed by
  botocore (e.g. a missing or different x-amz-date, a Date header, a
  session_token that differs from a given x-amz-security-token) is an error,
  so what is printed is the signature over exactly the given headers.
  One exception: if no ``host`` header is given, botocore signs a host derived
  from the URL (lower-cased, default port dropped) without adding it to the
  headers; the canonical request shows it.

What botocore does when canonicalising (so the Swift side can match it):

* S3SigV4Auth: the canonical URI is ``urlsplit(url).path`` verbatim: no
  decoding, no re-encoding (so no double encoding), no removal of ``//`` or
  ``.``/``..`` segments.  An empty path stays empty (not "/").
  SigV4Auth (plain): ``remove_dot_segments`` (also collapses ``//``; empty
  path becomes "/"), then ``quote(path, safe='/~')``, which re-encodes ``%``
  as ``%25`` -- i.e. already-encoded paths are encoded twice, as the generic
  SigV4 spec requires.
* Query string (both kinds, when it comes from the URL, as in boto3): split on
  ``&``, each piece split at the first ``=`` (``acl`` -> ``acl=``), sorted by
  (key, value) as *given* (already encoded) strings, rejoined.  Nothing is
  decoded or re-encoded, so the client must already have encoded it the AWS
  way (boto3 uses ``quote(v, safe='-_.~')``: ``/``->%2F, ``+``->%2B,
  space->%20, ``~`` left as is).
* Header values: leading/trailing whitespace trimmed and inner runs of
  whitespace collapsed to one space; names lower-cased and sorted; repeated
  headers joined with ``,``.  Never signed: connection, expect, keep-alive,
  proxy-authenticate, proxy-authorization, te, trailer, transfer-encoding,
  upgrade, user-agent, x-amzn-trace-id.
"""

import datetime
import hashlib
import json
import sys
from unittest import mock

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class InputError(Exception):
    pass


def _make_signer_class(base):
    """Subclass a botocore signer so that it (a) never looks at a body, using
    the given payload hash instead, and (b) records the intermediate
    strings it computes."""

    class Signer(base):
        def __init__(self, credentials, service, region, payload_hash):
            super().__init__(credentials, service, region)
            self._payload_hash = payload_hash
            self.captured = {}

        def payload(self, request):
            return self._payload_hash

        def canonical_request(self, request):
            cr = super().canonical_request(request)
            self.captured["canonical_request"] = cr
            return cr

        def string_to_sign(self, request, canonical_request):
            sts = super().string_to_sign(request, canonical_request)
            self.captured["string_to_sign"] = sts
            return sts

        def signature(self, string_to_sign, request):
            sig = super().signature(string_to_sign, request)
            self.captured["signature"] = sig
            return sig

    return Signer


SIGNERS = {
    "s3": _make_signer_class(botocore.auth.S3SigV4Auth),
    "plain": _make_signer_class(botocore.auth.SigV4Auth),
}


def _frozen_clock(now):
    """Context manager that makes botocore.auth see `now` (naive UTC)."""
    if hasattr(botocore.auth, "get_current_datetime"):
        # botocore >= ~1.32: auth.py does `from botocore.compat import
        # get_current_datetime` and calls it once in add_auth().
        return mock.patch.object(
            botocore.auth, "get_current_datetime", lambda *a, **k: now
        )

    # Older botocore: auth.py calls datetime.datetime.utcnow().
    class FrozenDateTime(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return now

        @classmethod
        def now(cls, tz=None):
            return now if tz is None else now.replace(tzinfo=tz)

    return mock.patch.object(botocore.auth.datetime, "datetime", FrozenDateTime)


def _header_multiset(headers):
    return sorted((name.lower(), value) for name, value in headers)


def sign_one(spec):
    if not isinstance(spec, dict):
        raise InputError("each request must be a JSON object")
    kind = spec.get("kind", "s3")
    if kind not in SIGNERS:
        raise InputError(f"kind must be 's3' or 'plain', not {kind!r}")
    for field in ("method", "url", "region", "service", "access_key",
                  "secret_key", "time"):
        if not isinstance(spec.get(field), str):
            raise InputError(f"missing or non-string field {field!r}")
    headers = spec.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise InputError("headers must be an object of string -> string")
    try:
        now = datetime.datetime.strptime(spec["time"], SIGV4_TIMESTAMP)
    except ValueError:
        raise InputError(f"time must look like 20150830T123600Z, not {spec['time']!r}")

    # The payload hash: body_sha256, else the given header, else empty body.
    header_sha = [v for k, v in headers.items() if k.lower() == "x-amz-content-sha256"]
    payload_hash = spec.get("body_sha256")
    if payload_hash is None:
        payload_hash = header_sha[0] if header_sha else EMPTY_SHA256
    if header_sha and header_sha != [payload_hash]:
        raise InputError(
            f"x-amz-content-sha256 header {header_sha} differs from body_sha256 {payload_hash!r}"
        )

    credentials = Credentials(
        spec["access_key"], spec["secret_key"], spec.get("session_token")
    )
    signer = SIGNERS[kind](credentials, spec["service"], spec["region"], payload_hash)
    request = AWSRequest(method=spec["method"], url=spec["url"], data=b"", headers=headers)

    with _frozen_clock(now):
        signer.add_auth(request)

    if request.context.get("timestamp") != spec["time"]:
        raise InputError(
            f"clock patch failed: botocore {botocore.__version__} used "
            f"{request.context.get('timestamp')!r} instead of {spec['time']!r}"
        )

    # Guarantee: botocore signed exactly the headers we were given.
    before = _header_multiset(headers.items())
    after = _header_multiset(
        (k, v) for k, v in request.headers.items() if k.lower() != "authorization"
    )
    if before != after:
        added = [h for h in after if h not in before]
        removed = [h for h in before if h not in after]
        raise InputError(
            "botocore would change the headers before signing "
            f"(added/replaced: {added}, removed/replaced: {removed}); give "
            "x-amz-date equal to time, no Date header, x-amz-security-token "
            "equal to session_token (or omit one of them), and for kind s3 "
            "an x-amz-content-sha256 header (S3SigV4Auth always signs one)"
        )

    authorization = request.headers["Authorization"]
    signed_headers = authorization.split("SignedHeaders=", 1)[1].split(",", 1)[0]
    return {
        "authorization": authorization,
        "canonical_request": signer.captured["canonical_request"],
        "string_to_sign": signer.captured["string_to_sign"],
        "signature": signer.captured["signature"],
        "signed_headers": signed_headers,
    }


# Known-answer vectors.  get-vanilla is from the AWS SigV4 test suite; the S3
# ones are the worked examples in the S3 "Signature Calculations for the
# Authorization Header" documentation (sig-v4-header-based-auth).
SELF_TEST = [
    ("aws4 test suite get-vanilla (plain)", {
        "kind": "plain", "method": "GET",
        "url": "https://example.amazonaws.com/",
        "headers": {"Host": "example.amazonaws.com", "X-Amz-Date": "20150830T123600Z"},
        "region": "us-east-1", "service": "service",
        "access_key": "AKIDEXAMPLE",
        "secret_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "time": "20150830T123600Z",
    }, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("S3 docs: GET object with Range (s3)", {
        "method": "GET", "url": "https://examplebucket.s3.amazonaws.com/test.txt",
        "headers": {"Host": "examplebucket.s3.amazonaws.com", "Range": "bytes=0-9",
                    "x-amz-content-sha256": EMPTY_SHA256,
                    "x-amz-date": "20130524T000000Z"},
        "region": "us-east-1", "service": "s3",
        "access_key": "AKIAIOSFODNN7EXAMPLE",
        "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "time": "20130524T000000Z",
    }, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
    ("S3 docs: GET bucket ?max-keys=2&prefix=J (s3)", {
        "method": "GET", "url": "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J",
        "headers": {"Host": "examplebucket.s3.amazonaws.com",
                    "x-amz-content-sha256": EMPTY_SHA256,
                    "x-amz-date": "20130524T000000Z"},
        "region": "us-east-1", "service": "s3",
        "access_key": "AKIAIOSFODNN7EXAMPLE",
        "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "time": "20130524T000000Z",
    }, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
    ("S3 docs: GET bucket ?lifecycle (s3)", {
        "method": "GET", "url": "https://examplebucket.s3.amazonaws.com/?lifecycle",
        "headers": {"Host": "examplebucket.s3.amazonaws.com",
                    "x-amz-content-sha256": EMPTY_SHA256,
                    "x-amz-date": "20130524T000000Z"},
        "region": "us-east-1", "service": "s3",
        "access_key": "AKIAIOSFODNN7EXAMPLE",
        "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "time": "20130524T000000Z",
    }, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
]


def self_test():
    ok = True
    for name, spec, expected in SELF_TEST:
        got = sign_one(spec)["signature"]
        status = "ok" if got == expected else f"FAIL (got {got})"
        ok &= got == expected
        print(f"{name}: {status}")
    print(f"botocore {botocore.__version__}: {'all passed' if ok else 'FAILURES'}")
    return 0 if ok else 1


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        data = json.load(sys.stdin)
    except ValueError as e:
        print(f"sigv4_reference: stdin is not JSON: {e}", file=sys.stderr)
        return 2
    specs = data if isinstance(data, list) else [data]
    results = []
    for i, spec in enumerate(specs):
        try:
            results.append(sign_one(spec))
        except InputError as e:
            print(f"sigv4_reference: request #{i}: {e}", file=sys.stderr)
            return 2
    json.dump(results, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
