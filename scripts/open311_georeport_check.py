#!/usr/bin/env python3
"""Check wangge's Open311 GeoReport v2 endpoint with a real third-party client.

Usage:
    python scripts/open311_georeport_check.py BASE_URL API_KEY SERVICE_CODE

    BASE_URL      e.g. http://127.0.0.1:18089/open311/v2
    API_KEY       an Open311 api_key the server accepts for POST requests
    SERVICE_CODE  a service_code the server lists in services.{json,xml}

Written against the PyPI package `georeport` 0.3.1 (identical client code to
0.3.0; needs Python >= 3.9, requests >= 2.32.4 and xmltodict 0.14.x, pure
Python, works on Python 3.11 unpatched). Install it with
`pip install 'georeport==0.3.1'`. georeport reads only: it has no method that
creates a request, so the request is POSTed here with urllib, form-encoded as
the GeoReport v2 spec describes, and everything is then read back through the
georeport client (georeport.GeoReport) in JSON and in XML.

What georeport 0.3.1 does, in short (and so what the server must serve):
  GeoReport(root_address, jurisdiction=None, api_key=None, output_format='json'|'xml')
  get_service_list()              GET {root}/services.{fmt}
      json: response.json() as is (a list); xml: parse(...)['services']['service']
  get_service_definition(code)    GET {root}/services/{code}.{fmt}
      json: response.json(); xml: parse(...)['service_definition']
  get_service_requests(...)       GET {root}/requests.{fmt}?service_request_id=&service_code=&start_date=&end_date=&status=
      json: response.json(); xml: parse(...)['service_requests']['request']
  get_service_request(id)         GET {root}/requests/{id}.{fmt}
      json: response.json()[0]; xml: parse(...)['service_requests']['request']
  jurisdiction_id is added as a query parameter only when a jurisdiction is
  given; the api_key is never sent. Any 4xx/5xx raises requests.HTTPError
  (raise_for_status) before the body is read. XML goes through xmltodict, so
  every value is a string, an empty element is None, and one child element
  comes back as a dict instead of a list of one (normalised below).

The final line is `open311 georeport: N passed, M failed`; the exit status is
non-zero when anything failed.
"""

import json
import math
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

try:
    import georeport
    import requests
    from georeport import GeoReport
except ImportError as exc:  # pragma: no cover - environment problem
    print(f"open311 georeport: cannot import georeport ({exc}); "
          "install it with: pip install 'georeport==0.3.1'", file=sys.stderr)
    print("open311 georeport: 0 passed, 1 failed")
    sys.exit(2)

TIMEOUT = 15
# Non-ASCII text and XML special characters on purpose: they must survive the
# form encoding, the JSON encoding and the XML escaping unchanged.
DESCRIPTION = "井盖缺失 georeport check <&> \"quoted\" " + time.strftime("%Y%m%dT%H%M%S")
LAT = 26.0771
LONG = 113.9452

passed = 0
failed = 0


def ok(name):
    global passed
    passed += 1
    print(f"ok    {name}")


def fail(name, why):
    global failed
    failed += 1
    print(f"FAIL  {name}: {why}")


def as_list(value):
    """xmltodict gives a dict for one child element, a list for several and
    None for an empty parent; the JSON side gives a list."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def same_number(got, want):
    try:
        return math.isclose(float(got), float(want), rel_tol=0, abs_tol=1e-6)
    except (TypeError, ValueError):
        return False


def http_error_text(exc):
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        body = exc.response.text[:300]
        return f"HTTP {exc.response.status_code} for {exc.response.url}: {body!r}"
    return f"{type(exc).__name__}: {exc}"


def post_request(base, api_key, service_code):
    """POST {base}/requests.json form-encoded; return service_request_id."""
    fields = {
        "api_key": api_key,
        "service_code": service_code,
        "lat": str(LAT),
        "long": str(LONG),
        "description": DESCRIPTION,
    }
    body = urllib.parse.urlencode(fields).encode("ascii")
    req = urllib.request.Request(
        f"{base}/requests.json",
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    name = "POST requests.json (form-encoded) returns a service_request_id"
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            status = resp.status
            raw = resp.read()
    except urllib.error.HTTPError as exc:
        fail(name, f"HTTP {exc.code}: {exc.read()[:300]!r}")
        return None
    except (urllib.error.URLError, OSError) as exc:
        fail(name, f"cannot reach {base}: {exc}")
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        fail(name, f"HTTP {status}, body is not JSON ({exc}): {raw[:300]!r}")
        return None
    if not (isinstance(data, list) and data and isinstance(data[0], dict)):
        fail(name, f"expected a JSON array of one object, got {data!r}")
        return None
    first = data[0]
    sid = first.get("service_request_id")
    if sid not in (None, ""):
        ok(f"{name} (HTTP {status}, id {sid})")
        return str(sid)
    token = first.get("token")
    if token in (None, ""):
        fail(name, f"neither service_request_id nor token in {first!r}")
        return None
    # The spec lets the server answer with a token first; GET tokens/{token}
    # gives the id once it exists (georeport has no method for this call).
    url = f"{base}/tokens/{urllib.parse.quote(str(token), safe='')}.json"
    for _ in range(20):
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT) as resp:
                got = json.loads(resp.read().decode("utf-8"))
            if isinstance(got, list) and got and got[0].get("service_request_id") not in (None, ""):
                sid = str(got[0]["service_request_id"])
                ok(f"{name} (HTTP {status}, token {token} -> id {sid})")
                return sid
        except (urllib.error.URLError, OSError, ValueError, AttributeError):
            pass
        time.sleep(0.5)
    fail(name, f"token {token} never resolved to a service_request_id at {url}")
    return None


def check_services(base, service_code, fmt):
    client = GeoReport(base, output_format=fmt)
    name = f"georeport get_service_list() [{fmt}] lists {service_code!r}"
    try:
        services = as_list(client.get_service_list())
    except Exception as exc:  # noqa: BLE001 - report whatever the client raised
        fail(name, http_error_text(exc))
        return
    if not all(isinstance(s, dict) for s in services):
        fail(name, f"expected service objects, got {services!r:.300}")
        return
    codes = [str(s.get("service_code")) for s in services]
    match = [s for s in services if str(s.get("service_code")) == service_code]
    if not match:
        fail(name, f"service_code not among {codes}")
        return
    service = match[0]
    missing = [k for k in ("service_code", "service_name", "metadata", "type") if k not in service]
    if missing:
        fail(name, f"service lacks spec fields {missing}: {service!r}")
        return
    ok(f"{name} ({len(services)} services)")

    metadata = str(service.get("metadata")).lower() == "true"
    if metadata:
        name = f"georeport get_service_definition({service_code!r}) [{fmt}]"
        try:
            definition = client.get_service_definition(service_code)
        except Exception as exc:  # noqa: BLE001
            fail(name, http_error_text(exc))
            return
        if isinstance(definition, dict) and str(definition.get("service_code")) == service_code:
            ok(name)
        else:
            fail(name, f"unexpected definition {definition!r:.300}")


def check_request_fields(name, req, sid, service_code):
    if not isinstance(req, dict):
        fail(name, f"expected one request object, got {req!r:.300}")
        return
    problems = []
    if str(req.get("service_request_id")) != sid:
        problems.append(f"service_request_id {req.get('service_request_id')!r} != {sid!r}")
    if str(req.get("service_code")) != service_code:
        problems.append(f"service_code {req.get('service_code')!r} != {service_code!r}")
    if req.get("description") != DESCRIPTION:
        problems.append(f"description {req.get('description')!r} != {DESCRIPTION!r}")
    if not same_number(req.get("lat"), LAT):
        problems.append(f"lat {req.get('lat')!r} != {LAT}")
    if not same_number(req.get("long"), LONG):
        problems.append(f"long {req.get('long')!r} != {LONG}")
    if req.get("status") not in ("open", "closed"):
        problems.append(f"status {req.get('status')!r} is not open|closed")
    if not req.get("requested_datetime"):
        problems.append("requested_datetime missing")
    if problems:
        fail(name, "; ".join(problems))
    else:
        ok(name)


def check_request(base, sid, service_code, fmt):
    client = GeoReport(base, output_format=fmt)
    name = f"georeport get_service_request({sid!r}) [{fmt}] reads back the posted request"
    try:
        req = client.get_service_request(sid)
    except Exception as exc:  # noqa: BLE001
        fail(name, http_error_text(exc))
    else:
        check_request_fields(name, req, sid, service_code)

    name = f"georeport get_service_requests(service_request_id={sid!r}) [{fmt}]"
    try:
        reqs = as_list(client.get_service_requests(service_request_id=sid))
    except Exception as exc:  # noqa: BLE001
        fail(name, http_error_text(exc))
        return
    match = [r for r in reqs if isinstance(r, dict) and str(r.get("service_request_id")) == sid]
    if len(match) != 1:
        fail(name, f"expected exactly one request with id {sid}, got {reqs!r:.300}")
    else:
        check_request_fields(name, match[0], sid, service_code)


def check_unknown_request(base, fmt):
    """An unknown id is refused with 4xx; georeport raises requests.HTTPError."""
    client = GeoReport(base, output_format=fmt)
    name = f"georeport get_service_request(unknown) [{fmt}] raises HTTP 404 with spec errors"
    try:
        got = client.get_service_request("999999999")
    except requests.HTTPError as exc:
        resp = exc.response
        if resp is None or resp.status_code != 404:
            fail(name, http_error_text(exc))
            return
        body = resp.content
        shaped = False
        try:
            if fmt == "json":
                errs = json.loads(body.decode("utf-8"))
                shaped = (isinstance(errs, list) and errs
                          and all(isinstance(e, dict) and "code" in e and "description" in e for e in errs))
            else:
                import xmltodict  # a dependency of georeport
                errs = as_list(xmltodict.parse(body)["errors"]["error"])
                shaped = bool(errs) and all("code" in e and "description" in e for e in errs)
        except Exception:  # noqa: BLE001
            shaped = False
        if shaped:
            ok(name)
        else:
            fail(name, f"404 body is not the spec error list: {body[:300]!r}")
    except Exception as exc:  # noqa: BLE001
        fail(name, http_error_text(exc))
    else:
        fail(name, f"expected an HTTP error, got {got!r:.300}")


def main(argv):
    if len(argv) != 4:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    base, api_key, service_code = argv[1].rstrip("/"), argv[2], argv[3]
    print(f"georeport {georeport.__version__} against {base}")

    sid = post_request(base, api_key, service_code)
    for fmt in ("json", "xml"):
        check_services(base, service_code, fmt)
    if sid is not None:
        for fmt in ("json", "xml"):
            check_request(base, sid, service_code, fmt)
    else:
        fail("read back the posted request", "skipped: the POST gave no service_request_id")
    for fmt in ("json", "xml"):
        check_unknown_request(base, fmt)

    print(f"open311 georeport: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
