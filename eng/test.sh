#!/usr/bin/env bash
# The whole test suite, as a newcomer and CI run it: builds in Release, starts the real servers the tests need
# (when eng/services.sh exists and ASYNCCORE_NO_SERVICES is not set), runs every test project, and ends with the
# line "N passed, N failed" (", N skipped" when any) computed from the runners' CTRF reports (TRX for xunit v2 projects).
# Exits non-zero when a test fails or a test project cannot run.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
config=${CONFIGURATION:-Release}
results=$(mktemp -d "${TMPDIR:-/tmp}/asynccore-tests.XXXXXX")
chmod 755 "$results"

if [ -x eng/services.sh ] && [ -z "${ASYNCCORE_NO_SERVICES:-}" ]; then
  if ! bash eng/services.sh start > "$results/services.env"; then
    echo "eng/test.sh: could not start the test servers (see above)" >&2
    exit 1
  fi
  # shellcheck disable=SC1091
  . "$results/services.env"
  services_started=1
  trap 'bash eng/services.sh stop >&2 || true' EXIT
fi

echo "== build ($config)" >&2
if ! dotnet build AsyncCore.sln -c "$config" -nologo -v:q; then
  echo "0 passed, 1 failed"
  exit 1
fi

status=0
# The project's test projects, and the test projects of sample libraries (samples/TestingAnotherLibrary).
for project in tests/*/*.Tests.csproj samples/*/*.Tests/*.Tests.csproj; do
  [ -e "$project" ] || continue
  name=$(basename "$project" .csproj)
  dll="$(dirname "$project")/bin/$config/net10.0/$name.dll"
  echo "== $name" >&2
  if grep -q 'xunit.runner.visualstudio' "$project"; then
    # An xunit v2 project runs under VSTest (xunit v2 has no Microsoft.Testing.Platform runner, and global.json puts
    # dotnet test on that platform); its TRX report is counted below. TEST_FILTER's xunit v3 syntax does not apply.
    report="$results/$name.trx"
    if ! dotnet vstest "$dll" --logger:"trx;LogFileName=$report"; then
      status=1
    fi
  else
    report="$results/$name.json"
    if ! dotnet "$dll" -noColor -noLogo -result-ctrf "$report" ${TEST_FILTER:+$TEST_FILTER}; then
      status=1
    fi
  fi
  if [ ! -s "$report" ]; then
    echo "eng/test.sh: $name produced no report" >&2
    status=1
  fi
done

summary=$(/usr/bin/python3 - "$results" <<'PY'
import json, pathlib, sys
import xml.etree.ElementTree as ET
passed = failed = skipped = 0
for report in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    s = json.loads(report.read_text())["results"]["summary"]
    passed += s["passed"]; failed += s["failed"] + s.get("other", 0); skipped += s["skipped"] + s.get("pending", 0)
# VSTest's TRX reports (xunit v2 projects): skipped tests are counted as not executed.
for report in sorted(pathlib.Path(sys.argv[1]).glob("*.trx")):
    counters = next(e for e in ET.parse(report).iter() if e.tag.endswith("Counters")).attrib
    count = lambda *names: sum(int(counters.get(n, 0)) for n in names)
    passed += count("passed"); failed += count("failed", "error", "timeout", "aborted"); skipped += count("notExecuted")
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed else 0)
PY
) || status=1
if [ -n "${services_started:-}" ]; then
  # Stop the servers before the summary, so that the summary stays the last line.
  bash eng/services.sh stop >&2 || true
  trap - EXIT
fi
echo "$summary"
exit $status
