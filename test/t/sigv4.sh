#!/usr/bin/env bash
# The SigV4 signer reproduces AWS's published test suite byte for byte --
# canonical request, string to sign, signature and Authorization header --
# and a Bedrock request signed by botocore; a model id's ':' sent as %3A is
# signed as %253A.  Vectors: test/data/sigv4 (see its README).
source "$(dirname "$0")/lib.bash"
fresh_db
plan 50
vectors="$(cd "$(dirname "$0")/../data/sigv4" && pwd)"

# Cases deliberately not supported, as "case:why" (none today).
unsupported=()

# Files and results travel as base64 so that every byte (UTF-8 paths,
# trailing newlines or their absence) arrives and is compared as it is.
b64file() { base64 -w0 <"$1"; }
b64str() { printf '%s' "$1" | base64 -w0; }
from64() { echo "convert_from(decode('$1', 'base64'), 'UTF8')"; }
to64() { echo "translate(encode(convert_to($1, 'UTF8'), 'base64'), E'\\n', '')"; }

# sign CONTEXT-B64 REQUEST-B64: "canonical|string-to-sign|signature|authorization", each base64
sign() {
    sql "SELECT concat_ws('|', $(to64 canonical_request), $(to64 string_to_sign), $(to64 signature), $(to64 "\"authorization\""))
           FROM aigw.sigv4_debug($(from64 "$1")::jsonb, $(from64 "$2"))"
}

show_diff() {					# show_diff WHAT EXPECTED-FILE GOT-B64
    echo "#   $1 differs:"
    diff <(cat "$2"; echo) <(echo "$3" | base64 -d; echo) | sed 's/^/#     /'
}

ncases=0
npassed=0
for dir in "$vectors"/*/; do
    name=$(basename "$dir")
    why=""
    for s in "${unsupported[@]}"; do [ "${s%%:*}" = "$name" ] && why=${s#*:}; done
    [ -f "$dir/header-canonical-request.txt" ] || why="no header-signing vectors"
    if [ -n "$why" ]; then skip "$name: canonical request, string to sign, signature and Authorization as expected" "$why"; continue; fi
    ncases=$((ncases + 1))

    got=$(sign "$(b64file "$dir/context.json")" "$(b64file "$dir/request.txt")" 2>&1)
    IFS='|' read -r g_canon g_sts g_sig g_auth <<<"$got"
    expected_auth=$(sed -n 's/^Authorization://p' "$dir/header-signed-request.txt")
    bad=()
    [ "$g_canon" = "$(b64file "$dir/header-canonical-request.txt")" ] || bad+=("canonical request")
    [ "$g_sts" = "$(b64file "$dir/header-string-to-sign.txt")" ] || bad+=("string to sign")
    [ "$g_sig" = "$(b64file "$dir/header-signature.txt")" ] || bad+=("signature")
    [ "$g_auth" = "$(b64str "$expected_auth")" ] || bad+=("authorization")
    if [ ${#bad[@]} -eq 0 ]; then
        npassed=$((npassed + 1))
        ok 0 "$name: canonical request, string to sign, signature and Authorization as expected"
    else
        ok 1 "$name: canonical request, string to sign, signature and Authorization as expected"
        echo "#   wrong: ${bad[*]}"
        case "$got" in *ERROR*) echo "#   $got" ;; esac
        [[ " ${bad[*]} " == *"canonical request"* ]] && show_diff "canonical request" "$dir/header-canonical-request.txt" "$g_canon"
        [[ " ${bad[*]} " == *"string to sign"* ]] && show_diff "string to sign" "$dir/header-string-to-sign.txt" "$g_sts"
    fi
done
echo "# $npassed of $ncases vector cases match"
[ "$ncases" -ge 39 ]; ok $? "all 38 cases of AWS's suite and the Bedrock case were run ($ncases)"

# A Bedrock Converse request: the path goes on the wire percent-encoded and
# every service but S3 signs it encoded once more.
ctx='{"credentials": {"access_key_id": "AKIDEXAMPLE", "secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
      "region": "eu-west-3", "service": "bedrock", "timestamp": "2026-11-29T08:00:00Z", "sign_body": true}'
req=$'POST /model/anthropic.claude-3-haiku-20240307-v1%3A0/converse HTTP/1.1\nHost: bedrock-runtime.eu-west-3.amazonaws.com\nContent-Type: application/json\n\n{"messages": []}'
canon_line() {					# canon_line CONTEXT N: line N of the canonical request
    sql "SELECT split_part(canonical_request, E'\\n', $2) FROM aigw.sigv4_debug($(from64 "$(b64str "$1")")::jsonb, $(from64 "$(b64str "$req")"))"
}
is "$(canon_line "$ctx" 2)" "/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse" \
   "Bedrock: the model id's %3A is signed as %253A"
is "$(canon_line "${ctx%\}}, \"double_uri_encode\": false}" 2)" "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse" \
   "without double encoding (S3's rule) the wire path is signed as it is"
is "$(canon_line "$ctx" 6)" "x-amz-content-sha256:$(printf '%s' '{"messages": []}' | sha256sum | cut -d' ' -f1)" \
   "sign_body signs x-amz-content-sha256, the SHA-256 of the body"
is "$(sql "SELECT split_part(string_to_sign, E'\\n', 3) FROM aigw.sigv4_debug($(from64 "$(b64str "$ctx")")::jsonb, $(from64 "$(b64str "$req")"))")" \
   "20261129/eu-west-3/bedrock/aws4_request" "the scope names the region and the signing name bedrock"

# Errors say what is wrong and never quote the secret.
secret=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
out=$( {
    sql "SELECT * FROM aigw.sigv4_debug('$ctx', E'POST / HTTP/1.1\\nContent-Type: x\\n\\n')"
    sql "SELECT * FROM aigw.sigv4_debug(jsonb_set('$ctx', '{credentials,access_key_id}', '\"AKID/X\"'), E'GET / HTTP/1.1\\nHost: h\\n')"
    sql "SELECT * FROM aigw.sigv4_debug(jsonb_set('$ctx', '{timestamp}', '\"yesterday\"'), E'GET / HTTP/1.1\\nHost: h\\n')"
    sql "SELECT * FROM aigw.sigv4_debug('$ctx', E'GET / HTTP/1.1\\nHost: h\\nX-Amz-Date: 20260101T000000Z\\n')"
} 2>&1 )
echo "$out" | grep -q "request to sign has no host header"; ok $? "a request without host is refused"
echo "$out" | grep -q "AWS access key id contains a character that cannot be signed"; ok $? "a key id that would break the Authorization header is refused"
echo "$out" | grep -q 'x-amz-date "yesterday" is not of the form YYYYMMDDTHHMMSSZ'; ok $? "a malformed timestamp is refused"
echo "$out" | grep -q 'header "x-amz-date" must not be given to the signer'; ok $? "a header the signer writes itself is refused from the caller"
echo "$out" | grep -qF "$secret"; [ $? -ne 0 ]; ok $? "no error message carries the secret access key"

sql "CREATE ROLE sigv4_nobody IN ROLE aigw_user" 2>/dev/null
out=$(sql "SET ROLE sigv4_nobody; SELECT * FROM aigw.sigv4_debug('{}', '')" 2>&1)
echo "$out" | grep -q "permission denied for function sigv4_debug"; ok $? "PUBLIC may not execute aigw.sigv4_debug"
sql "DROP ROLE sigv4_nobody"
finish
