#!/usr/bin/env bash
# A session with the fake Rancher from the shell: start it, drive it with curl, stop it.
#
#   bash examples/curl_session.sh            # PYTHON=.venv/bin/python to pick the interpreter
#
# Every answer is checked; the first mismatch prints what was expected and exits non-zero.
set -euo pipefail

PYTHON=${PYTHON:-python}
work=$(mktemp -d)
server_pid=

stop_server() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid"
        wait "$server_pid" || true
    fi
    rm -rf "$work"
}
trap stop_server EXIT

# --port 0 picks a free port; the server prints its URL on stdout, its request log on stderr.
# The files exist before the server starts: the background shell may open them after the
# first poll below.
: >"$work/stdout"
: >"$work/stderr"
"$PYTHON" -m fakerancher serve --port 0 >"$work/stdout" 2>"$work/stderr" &
server_pid=$!
for _ in $(seq 100); do
    grep -q "listening on" "$work/stdout" && break
    kill -0 "$server_pid" 2>/dev/null || {
        echo "FAIL: the server exited:" >&2
        cat "$work/stderr" >&2
        exit 1
    }
    sleep 0.1
done
BASE=$(sed -n 's/^fakerancher listening on \(http[^ ]*\).*/\1/p' "$work/stdout")
[[ -n "$BASE" ]] || { echo "FAIL: the server printed no URL" >&2; exit 1; }
API=$BASE/v1
echo "fake Rancher at $API"

# call METHOD URL [JSON]: the answer's body goes to $work/body, its status to $status.
call() {
    local args=(-sS --max-time 10 -o "$work/body" -w '%{http_code}' -X "$1" "$2")
    [[ $# -gt 2 ]] && args+=(-d "$3")
    status=$(curl "${args[@]}")
}
# field EXPR: a Python expression over the last body, `d` (e.g. 'd["state"]').
field() {
    "$PYTHON" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
        "$work/body" "$1"
}
# expect WHAT GOT WANTED
expect() {
    if [[ "$2" != "$3" ]]; then
        echo "FAIL: $1: got '$2', expected '$3'" >&2
        echo "body: $(cat "$work/body")" >&2
        exit 1
    fi
    echo "ok  $1 = $3"
}

# Discovery: every answer names the schemas.
schemas=$(curl -sS --max-time 10 -D - -o /dev/null "$API" | tr -d '\r' |
    sed -n 's/^[Xx]-[Aa][Pp][Ii]-[Ss]chemas: //p')
expect "X-API-Schemas" "$schemas" "$API/schemas"

# Create a registry: 201, still registering in the answer.
call POST "$API/registries" '{"serverAddress": "quay.io", "name": "Quay"}'
expect "create registry status" "$status" 201
expect "create registry state" "$(field 'd["state"]')" registering
registry=$(field 'd["id"]')

# Read it: the next read shows it active, with the actions an active registry offers.
call GET "$API/registries/$registry"
expect "read registry status" "$status" 200
expect "registry state" "$(field 'd["state"]')" active
expect "registry actions" "$(field 'sorted(d["actions"])')" "['deactivate', 'update']"

# A credential: the secret is echoed once, in the POST answer.
call POST "$API/registrycredentials" \
    "{\"registryId\": \"$registry\", \"email\": \"ci@example.com\", \"publicValue\": \"robot\", \"secretValue\": \"s3cret\"}"
expect "create credential status" "$status" 201
expect "secret in the POST answer" "$(field 'd["secretValue"]')" s3cret
credential=$(field 'd["id"]')
call GET "$API/registrycredentials/$credential"
expect "credential state" "$(field 'd["state"]')" active
expect "secret on GET" "$(field 'd["secretValue"]')" None

# List with filters (field or field_<modifier>), sorted.
call GET "$API/registrycredentials?registryId=$registry&publicValue_prefix=rob&sort=created"
expect "filtered list" "$(field '[c["id"] for c in d["data"]]')" "['$credential']"
call GET "$API/registries?name=Docker"
expect "list of no match" "$(field 'len(d["data"])')" 0
# A filter the schema does not list (serverAddress is none in v1) is ignored, as Cattle does.
call GET "$API/registries?serverAddress=docker.io"
expect "unknown filter ignored" "$(field 'len(d["data"])')" 1

# Error case: deleting an active credential is refused with Cattle's error document.
call DELETE "$API/registrycredentials/$credential"
expect "delete while active" "$status" 405
expect "error document" "$(field '(d["type"], d["status"], d["code"])')" \
    "('error', 405, 'Method not allowed')"
# ... and so is a second registry at the same address.
call POST "$API/registries" '{"serverAddress": "QUAY.IO"}'
expect "duplicate address" "$(field '(d["status"], d["code"])')" "(400, 'ServerAddressUsed')"

# Deactivate (an action: POST to the URL in "actions"), then delete.
call GET "$API/registrycredentials/$credential"
call POST "$(field 'd["actions"]["deactivate"]')"
expect "deactivate status" "$status" 202
expect "deactivate state" "$(field 'd["state"]')" deactivating
call GET "$API/registrycredentials/$credential"
expect "credential after deactivate" "$(field 'd["state"]')" inactive
call DELETE "$API/registrycredentials/$credential"
expect "delete status" "$status" 200
expect "delete state" "$(field 'd["state"]')" removing
call GET "$API/registrycredentials/$credential"
expect "credential after delete" "$(field 'd["state"]')" removed
call GET "$API/registrycredentials"
expect "removed ones leave the list" "$(field 'len(d["data"])')" 0

# Control routes (/_fake, never part of /v1): the call log, then a reset.
call GET "$BASE/_fake/calls?method=DELETE"
expect "DELETE calls logged" "$(field '[(c["path"], c["status"]) for c in d["calls"]]')" \
    "[('/v1/registrycredentials/$credential', 405), ('/v1/registrycredentials/$credential', 200)]"
call POST "$BASE/_fake/reset"
expect "reset" "$(field 'd["reset"]')" True
call GET "$API/registries"
expect "registries after reset" "$(field 'len(d["data"])')" 0

# Stop the server: SIGTERM is a clean shutdown (exit status 0).
kill "$server_pid"
wait "$server_pid" && code=0 || code=$?
server_pid=
expect "server exit status" "$code" 0
grep -q "fakerancher stopped" "$work/stderr" || { echo "FAIL: no clean stop" >&2; exit 1; }
echo "all checks passed"
