#!/usr/bin/env bash
# An independent verifier for an Enclave Console audit export, written from
# docs/audit-format.md with nothing but bash, coreutils and the OpenSSL command
# line: it checks the checkpoint's Ed25519 signed-note signature with
# `openssl pkeyutl` and rebuilds the RFC 9162 Merkle root from entries.jsonl
# (full exports, from = 0). It is slow (one openssl call per hash) and meant
# for small exports and for cross-checking the console's own verifier.
#
# Usage: verify-export.sh EXPORT_DIR [TRUSTED_VERIFIER_KEY]
set -euo pipefail
dir=$1
key=${2:-$(cat "$dir/ledger-key.pub")}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The verifier key: NAME+KEYID+base64(0x01 || 32-byte Ed25519 public key). Names have no '+'.
name=${key%%+*}
rest=${key#*+}
keyid=${rest%%+*}
keyb64=${rest#*+}
hex() { od -An -v -tx1 | tr -d ' \n'; }
unhex() { printf '%b' "$(sed 's/../\\x&/g')"; }
[ "$(printf '%s' "$keyb64" | base64 -d | head -c 1 | hex)" = 01 ] || { echo "not an Ed25519 verifier key"; exit 3; }
{ printf '302a300506032b6570032100' | unhex; printf '%s' "$keyb64" | base64 -d | tail -c 32; } > "$work/pub.der"
openssl pkey -pubin -inform DER -in "$work/pub.der" -out "$work/pub.pem"
expected_id=$({ printf '%s\n\001' "$name"; printf '%s' "$keyb64" | base64 -d | tail -c 32; } | openssl dgst -sha256 -binary | head -c 4 | hex)
[ "$expected_id" = "$keyid" ] || { echo "the key id does not match the key"; exit 3; }

# The note text is everything before the blank line, with its final newline.
awk '/^$/ { exit } { print }' "$dir/checkpoint" > "$work/text"
signed=no
while IFS= read -r line; do
  case "$line" in "— $name "*) ;; *) continue ;; esac
  printf '%s' "${line##* }" | base64 -d > "$work/sig+id"
  [ "$(head -c 4 "$work/sig+id" | hex)" = "$keyid" ] || continue
  [ "$(stat -c %s "$work/sig+id")" -eq 68 ] || { echo "malformed signature"; exit 3; }
  tail -c 64 "$work/sig+id" > "$work/sig"
  openssl pkeyutl -verify -pubin -inkey "$work/pub.pem" -rawin -in "$work/text" -sigfile "$work/sig" > /dev/null \
    || { echo "the checkpoint signature does not verify"; exit 3; }
  signed=yes
done < "$dir/checkpoint"
[ "$signed" = yes ] || { echo "the checkpoint is not signed by $name"; exit 3; }
origin=$(sed -n 1p "$work/text")
size=$(sed -n 2p "$work/text")
root=$(sed -n 3p "$work/text")
[ "$origin" = "$name" ] || { echo "the checkpoint is for another ledger"; exit 3; }
echo "checkpoint signature ok: $origin, size $size"

# Rebuild the tree: a stack of (size, hash) perfect subtrees, as an appender would.
from=$(sed -n 's/.*"from": *\([0-9]*\).*/\1/p' "$dir/export.json")
[ "$from" = 0 ] || { echo "incremental export: this script rebuilds full exports only"; exit 0; }
sizes=()
hashes=()
n=0
while IFS= read -r entry; do
  h=$({ printf '\000'; printf '%s' "$entry"; } | openssl dgst -sha256 -binary | hex)
  s=1
  while [ ${#sizes[@]} -gt 0 ] && [ "${sizes[-1]}" -eq "$s" ]; do
    h=$({ printf '\001'; printf '%s' "${hashes[-1]}" | unhex; printf '%s' "$h" | unhex; } | openssl dgst -sha256 -binary | hex)
    s=$((s * 2))
    unset 'sizes[-1]' 'hashes[-1]'
  done
  sizes+=("$s")
  hashes+=("$h")
  n=$((n + 1))
done < "$dir/entries.jsonl"
[ "$n" = "$size" ] || { echo "entries.jsonl has $n entries, the checkpoint $size"; exit 3; }
r=${hashes[-1]}
for ((i = ${#hashes[@]} - 2; i >= 0; i--)); do
  r=$({ printf '\001'; printf '%s' "${hashes[$i]}" | unhex; printf '%s' "$r" | unhex; } | openssl dgst -sha256 -binary | hex)
done
[ "$(printf '%s' "$r" | unhex | base64)" = "$root" ] || { echo "the entries do not produce the signed root"; exit 3; }
echo "root ok: $n entries hash to $root"
