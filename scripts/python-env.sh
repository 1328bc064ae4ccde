#!/usr/bin/env bash
# The project's Python virtualenv, shared by the interop tests (PyJWT, argon2-cffi, pyotp, stripe) and
# schemathesis: creates ${CARGO_TARGET_DIR:-target}/venv when missing, installs the pinned
# scripts/python-requirements.txt whenever it differs from what was last installed there, and
# prints the path of the venv's python (everything else goes to standard error).
#
# Usage: TOLLGATE_TEST_PYTHON=$(scripts/python-env.sh) cargo test -p tollgate-security
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=$(realpath -m "${CARGO_TARGET_DIR:-target}")
VENV=$TARGET/venv
REQUIREMENTS=scripts/python-requirements.txt
# A copy of the requirements last installed, so an unchanged venv costs one comparison.
STAMP=$VENV/installed-requirements.txt

if [ ! -x "$VENV/bin/python" ]; then
  echo "creating the Python virtualenv $VENV" >&2
  python3 -m venv "$VENV" >&2
fi
if ! cmp -s "$REQUIREMENTS" "$STAMP"; then
  echo "installing the pinned Python packages of $REQUIREMENTS into $VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS" >&2
  cp "$REQUIREMENTS" "$STAMP"
fi
echo "$VENV/bin/python"
