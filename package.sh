#!/usr/bin/env bash
# Builds the Lambda: `bootstrap` for provided.al2023 on arm64, linked against glibc 2.34 at
# most (Amazon Linux 2023's), zipped where Terraform expects it:
#   target/lambda/idc-credential-report.zip
# Installs what it needs itself: cargo-lambda and zig from PyPI (locked, hashed) into .venv/package, and the
# Rust target through rustup. Fails if the binary needs a newer glibc than 2.34.
set -euo pipefail
cd "$(dirname "$0")"

target=aarch64-unknown-linux-gnu
glibc_floor=2.34
venv=.venv/package
zip=target/lambda/idc-credential-report.zip

if [ ! -x "$venv/bin/cargo-lambda" ] || ! cmp -s tools/package-requirements.txt "$venv/.requirements"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r tools/package-requirements.txt
  cp tools/package-requirements.txt "$venv/.requirements"
fi
rustup target add "$target" >/dev/null
command -v readelf >/dev/null || { echo "package.sh: readelf is missing (Debian: apt-get install binutils)" >&2; exit 1; }

# cargo-lambda finds zig through the ziglang package; the .2.34 suffix pins the glibc symbols.
PATH="$PWD/$venv/bin:$PATH" cargo lambda build --release --locked --bin bootstrap \
  --target "$target.$glibc_floor" --output-format zip --lambda-dir target/lambda
built=target/lambda/bootstrap/bootstrap.zip
binary=target/$target/release/bootstrap

machine=$(readelf -h "$binary" | awk -F: '/Machine/ { gsub(/^ +/, "", $2); print $2 }')
[ "$machine" = "AArch64" ] || { echo "package.sh: $binary is built for $machine, not AArch64" >&2; exit 1; }
needed=$(readelf --version-info -W "$binary" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
if [ "$(printf '%s\n%s\n' "$needed" "$glibc_floor" | sort -V | tail -1)" != "$glibc_floor" ]; then
  echo "package.sh: $binary needs GLIBC_$needed, newer than provided.al2023's $glibc_floor" >&2
  exit 1
fi
cp "$built" "$zip"
echo "$zip: bootstrap for $machine, needs GLIBC_$needed at most ($(du -h "$zip" | cut -f1))"
