#!/bin/sh
# Print the newest Python >= 3.12 on this machine: PATH first, then pyenv, then uv.
# pyenv shims of versions that are not selected fail to run, so each candidate is
# asked to run for real before it is chosen.
set -u
works() { "$@" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }
for minor in 15 14 13 12; do
  for exe in "python3.$minor" "/usr/local/bin/python3.$minor" "/usr/bin/python3.$minor"; do
    if works "$exe"; then "$exe" -c 'import sys; print(sys.executable)'; exit 0; fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    version=$(pyenv latest "3.$minor" 2>/dev/null) || version=""
    exe="$(pyenv root)/versions/$version/bin/python3"
    if [ -n "$version" ] && works "$exe"; then echo "$exe"; exit 0; fi
  fi
  if command -v uv >/dev/null 2>&1; then
    exe=$(uv python find "3.$minor" 2>/dev/null) || exe=""
    if [ -n "$exe" ] && works "$exe"; then echo "$exe"; exit 0; fi
  fi
done
for exe in python3 python; do
  if works "$exe"; then "$exe" -c 'import sys; print(sys.executable)'; exit 0; fi
done
echo "attune needs Python >= 3.12: install one (python.org, pyenv or uv) and rerun" >&2
exit 1
