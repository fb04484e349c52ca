#!/bin/sh
# An enrolment client for sft-pki/1 (docs/SPEC.md §4.4) in POSIX sh: openssl makes the
# key and CSR, curl posts them, jq reads and writes the JSON. Written from the SPEC as a
# second, differently built enrolment client for conformance/test_enroll_client.py:
#
#   enroll_cmd = "sh .../enroll_sh/enroll.sh {ca_url} {root} {alias} {password_file} {out}"
#
# Writes OUT/key.pem (0600), OUT/cert.pem, OUT/root.pem, OUT/ca-url. Exit 0 enrolled,
# 1 refused or failed, 2 a bad argument or password file.
set -eu
[ "$#" -eq 5 ] || { echo "usage: enroll.sh CA_URL ROOT ALIAS PASSWORD_FILE OUT" >&2; exit 2; }
ca=$1 root=$2 alias=$3 pwfile=$4 out=$5
umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
die() { echo "enroll.sh: $1" >&2; exit "${2:-1}"; }

# PWF-1: UTF-8; exactly one trailing LF or CRLF removed, nothing else; no CR/LF left
# inside; not empty. The password never appears on a command line or in a message.
iconv -f UTF-8 -t UTF-8 "$pwfile" >/dev/null 2>&1 || die "the password file is not UTF-8" 2
jq -Rs 'if endswith("\r\n") then .[:-2] elif endswith("\n") then .[:-1] else . end
        | if test("[\r\n]") then error("the password file holds more than one line")
          elif . == "" then error("the password is empty") else . end' \
   <"$pwfile" >"$work/password.json" 2>"$work/jq.err" \
   || die "$(sed 's/^jq: error[^:]*: //' "$work/jq.err" | head -1)" 2
# jq -R keeps a leading U+FEFF? It must: PWF-1 says it is part of the password.

case $ca in https://*) ;; *) die "the CA URL must be https://HOST:PORT" 2 ;; esac
hostport=${ca#https://}; hostport=${hostport%%/*}
host=${hostport%:*}; port=${hostport##*:}
[ "$port" != "$hostport" ] || port=443

# The CA's certificate: TLS 1.3, chained to ROOT alone, valid now; its host name in a
# subjectAltName dNSName (never the CN: CA-ENR-18). Its public key is then pinned for
# the request itself, so the checked certificate is the one the password goes to.
mkdir "$work/nocerts"
openssl s_client -connect "$hostport" -servername "$host" -tls1_3 -CAfile "$root" \
    -groups X25519:P-256:P-384 \
    -ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256 \
    -no-CApath -no-CAstore -verify_return_error -x509_strict </dev/null \
    >"$work/hello.txt" 2>&1 || die "the CA at $hostport is not certified by this root"
openssl x509 -in "$work/hello.txt" -out "$work/ca.pem" 2>/dev/null \
    || die "no certificate from the CA"
openssl x509 -in "$work/ca.pem" -noout -ext subjectAltName 2>/dev/null \
    | tr ',' '\n' | sed 's/^ *//' | grep -Fxq "DNS:$host" \
    || die "the CA's certificate does not name $host in its subjectAltName"
pin=$(openssl x509 -in "$work/ca.pem" -noout -pubkey | openssl pkey -pubin -outform DER \
      | openssl dgst -sha256 -binary | base64)

# CA-ENR-12: the key is made here, never sent, stored 0600 (umask 077).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/key.pem" 2>/dev/null
openssl req -new -key "$work/key.pem" -subj "/CN=$alias" -sha256 -out "$work/csr.pem"
jq -n --arg alias "$alias" --rawfile csr "$work/csr.pem" --slurpfile pw "$work/password.json" \
    '{alias: $alias, password: $pw[0], csr: $csr}' >"$work/body.json"

# PKI-TLS-8/9 (CA-ENR-18): no key log (curl honours SSLKEYLOGFILE), and only the groups
# and suites of PKI-TLS-9 offered (curl's defaults add x448, P-521 and ffdhe*).
status=$(env -u SSLKEYLOGFILE curl -sS --proto =https --tlsv1.3 --tls-max 1.3 --cacert "$root" \
    --curves X25519:P-256:P-384 \
    --tls13-ciphers TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256 \
    --capath "$work/nocerts" --pinnedpubkey "sha256//$pin" --max-time 20 \
    -H 'Content-Type: application/json' --data-binary @"$work/body.json" \
    -o "$work/answer" -w '%{http_code}' "https://$hostport/v1/enroll") \
    || die "cannot reach the CA at $hostport"
# Only a known code is shown: a CA (or a proxy) that echoes the login must not make us
# print the password (PWF-2).
[ "$status" = 200 ] || die "the CA refused the enrolment (HTTP $status: $(jq -r '.error? | if IN("auth_failed", "throttled", "bad_csr", "bad_request", "too_large", "internal", "busy", "not_found", "method_not_allowed") then . else "?" end' "$work/answer" 2>/dev/null | head -c 64))"
jq -er '.certificate | strings' "$work/answer" >"$work/cert.pem" 2>/dev/null \
    || die "the CA answered with something that is not a certificate"
openssl x509 -in "$work/cert.pem" -noout 2>/dev/null \
    || die "the CA answered with something that is not a certificate"
# Our certificate only: what an answer carries after it (a "fullchain", another root)
# is not kept (PKI-TLS-4: the root given is the only one trusted). `openssl x509` reads
# the first PEM block.
openssl x509 -in "$work/cert.pem" -out "$work/leaf.pem" 2>/dev/null \
    && mv -f "$work/leaf.pem" "$work/cert.pem" \
    || die "the CA answered with something that is not a certificate"
[ "$(openssl x509 -in "$work/cert.pem" -noout -pubkey)" = "$(openssl pkey -in "$work/key.pem" -pubout)" ] \
    || die "the CA returned a certificate for another key"
[ "$(openssl x509 -in "$work/cert.pem" -noout -subject -nameopt RFC2253)" = "subject=CN=$alias" ] \
    || die "the CA returned a certificate for another alias"
openssl verify -CAfile "$root" -no-CApath -no-CAstore "$work/cert.pem" >/dev/null 2>&1 \
    || die "the certificate is not signed by the root"

mkdir -p "$out"
# Not `cp` onto the old key.pem: cp keeps an existing file's mode (a 0644 key.pem left by
# hand would hold the new key readable by all). A fresh 0600 file, renamed over it.
install -m 600 "$work/key.pem" "$out/.key.pem.new"
mv -f "$out/.key.pem.new" "$out/key.pem"
cp "$work/cert.pem" "$out/cert.pem"
cp "$root" "$out/root.pem"
printf '%s\n' "$ca" >"$out/ca-url"
echo "enrolled $alias: key and certificate in $out"
