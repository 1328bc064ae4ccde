"""Schemathesis hooks for scripts/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

- The run authenticates with the operator's key, which `GET /v1/api-keys` lists and
  `DELETE /v1/api-keys/{id}` may revoke. Stateful testing follows that link, and once the key is
  revoked every later request answers 401, so the rest of the run would test nothing but
  authentication. Requests that would revoke the run's own key go to an id that names no key
  instead (a 404, still checked against the document).
- Schemathesis draws the same few `Idempotency-Key` values for many different requests, which
  the server rightly answers 422 `idempotency_key_reused` before reading them. A valid key gets a
  suffix unique to the request, so generated bodies reach the handlers; invalid keys are sent as
  drawn. (Replays and reuse are tested by the e2e suite.)
"""

import itertools
import os
import re

import schemathesis

OWN_KEY_ID = os.environ.get("TOLLGATE_FUZZ_OWN_KEY_ID", "key_operator")
VALID_KEY = re.compile(r"[!-~]([ -~]{0,230}[!-~])?")
_sequence = itertools.count()


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.method.upper() == "DELETE" and (case.path_parameters or {}).get("id") == OWN_KEY_ID:
        case.path_parameters["id"] = OWN_KEY_ID + "_not_revoked_by_the_fuzzer"
    headers = case.headers or {}
    for name, value in list(headers.items()):
        if name.lower() == "idempotency-key" and isinstance(value, str) and VALID_KEY.fullmatch(value):
            headers[name] = f"{value}~{next(_sequence)}"
