#!/usr/bin/env bash
# Build (or reuse) the otel_litellm OpenTelemetry Collector distribution.
#
# Usage: scripts/build-collector.sh [--force]
#
# The collector is built with the official OpenTelemetry Collector Builder
# (go.opentelemetry.io/collector/cmd/builder) from scripts/otelcol-builder.yaml.
# The builder version is the manifest's `dist.version`.
#
# Result: ${OTEL_LITELLM_CACHE_DIR:-$HOME/.cache/otel_litellm}/otelcol-<version>/otelcol-litellm
# The path of the binary is printed on stdout as the last line; everything else
# goes to stderr.  A binary built from an identical manifest is reused.  Go's
# module and build caches live under the same cache directory, so a rebuild
# (e.g. --force or a changed manifest) is much faster the second time.
#
# Environment:
#   OTEL_LITELLM_CACHE_DIR  cache root (default: $HOME/.cache/otel_litellm)
#   OTEL_LITELLM_GO         go binary to use (default: go on PATH, else /usr/local/go/bin/go)
#   GOPROXY                 honoured as usual (default: Go's own)
#   OTEL_LITELLM_PROGRESS_SECONDS  interval of the "still building" lines (default 30)
#
# Exit status: 0 ok, 1 build error, 3 no usable Go toolchain.
set -euo pipefail

log() { printf 'build-collector: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
# Exit status 3 means "no usable Go toolchain" (tests skip instead of failing).
die_no_go() { log "error: $*"; exit 3; }

force=0
for arg in "$@"; do
    case "$arg" in
        --force) force=1 ;;
        -h | --help)
            sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) die "unknown argument: $arg (see --help)" ;;
    esac
done

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
manifest="$script_dir/otelcol-builder.yaml"
[[ -f "$manifest" ]] || die "manifest not found: $manifest"

# dist.name and dist.version are the only two-space-indented `name:` and
# `version:` keys in the manifest (components are `  - gomod: ...` items).
dist_key() {
    sed -n "s/^  $1:[[:space:]]*\"\{0,1\}\([A-Za-z0-9._-]*\)\"\{0,1\}[[:space:]]*\$/\1/p" "$manifest" | head -n 1
}
version="$(dist_key version)"
dist_name="$(dist_key name)"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "could not read dist.version from $manifest"
[[ -n "$dist_name" ]] || die "could not read dist.name from $manifest"

cache_dir="${OTEL_LITELLM_CACHE_DIR:-$HOME/.cache/otel_litellm}"
dist_dir="$cache_dir/otelcol-$version"
binary="$dist_dir/$dist_name"
stamp="$dist_dir/manifest.sha256"
manifest_sum="$(sha256sum "$manifest" | cut -d ' ' -f 1)"

is_fresh() {
    [[ -x "$binary" && -f "$stamp" && "$(cat "$stamp")" == "$manifest_sum" ]]
}

if [[ "$force" -eq 0 ]] && is_fresh; then
    log "reusing $binary"
    printf '%s\n' "$binary"
    exit 0
fi

mkdir -p "$dist_dir"
# Serialise concurrent builds (e.g. parallel test sessions) on the cache dir.
exec 9>"$dist_dir/.lock"
if ! flock -n 9; then
    log "another build is running; waiting for its lock"
    flock -w 3600 9 || die "timed out waiting for the build lock"
fi
if [[ "$force" -eq 0 ]] && is_fresh; then
    log "reusing $binary (built by a concurrent run)"
    printf '%s\n' "$binary"
    exit 0
fi

# --- locate Go -----------------------------------------------------------
go_bin="${OTEL_LITELLM_GO:-}"
if [[ -z "$go_bin" ]]; then
    if command -v go >/dev/null 2>&1; then
        go_bin="$(command -v go)"
    elif [[ -x /usr/local/go/bin/go ]]; then
        go_bin=/usr/local/go/bin/go
    else
        die_no_go "Go not found: install Go >= 1.25 or set OTEL_LITELLM_GO"
    fi
fi
[[ -x "$go_bin" ]] || die_no_go "not an executable: $go_bin"
# The builder runs `go` from PATH, so put the chosen toolchain first.
go_dir="$(dirname "$go_bin")"
export PATH="$go_dir:$PATH"
# Never download a different toolchain behind the user's back.
export GOTOOLCHAIN=local

go_version="$(go env GOVERSION)"
go_minor="$(printf '%s' "$go_version" | sed -n 's/^go1\.\([0-9][0-9]*\).*/\1/p')"
[[ -n "$go_minor" && "$go_minor" -ge 25 ]] || die_no_go "Go >= 1.25 required, found $go_version ($go_bin)"

# Private Go workspace inside the cache so repeated builds are warm and the
# user's own GOPATH is untouched.  -modcacherw keeps the cache deletable.
export GOPATH="$cache_dir/go"
export GOMODCACHE="$GOPATH/pkg/mod"
export GOCACHE="$cache_dir/go-build"
export GOFLAGS="-modcacherw${GOFLAGS:+ $GOFLAGS}"
export CGO_ENABLED=0

log "building $dist_name $version with $go_version ($go_bin); a cold build takes minutes"
log "cache: $cache_dir"
start=$SECONDS

# The builder is silent while it compiles: say that it is alive.
(
    # sleep must not hold stderr: a caller reading it would wait for the last one.
    while sleep "${OTEL_LITELLM_PROGRESS_SECONDS:-30}" >/dev/null 2>&1; do
        log "still building... $((SECONDS - start)) s"
    done
) &
ticker=$!
trap 'kill "$ticker" 2>/dev/null || true' EXIT

# --- install the pinned builder -------------------------------------------
tools_dir="$dist_dir/tools"
builder="$tools_dir/builder"
if [[ ! -x "$builder" ]]; then
    log "installing go.opentelemetry.io/collector/cmd/builder@v$version"
    GOBIN="$tools_dir" go install "go.opentelemetry.io/collector/cmd/builder@v$version" >&2
fi
builder_version="$("$builder" version 2>&1 || true)"
log "builder: ${builder_version:-unknown version}"

# --- generate sources and compile ------------------------------------------
rm -rf "$dist_dir/build"
(
    cd "$dist_dir"
    # Strict versioning: fail if dependency resolution moves any pinned module.
    "$builder" --config "$manifest" --skip-strict-versioning=false >&2
)
built="$dist_dir/build/$dist_name"
[[ -x "$built" ]] || die "builder finished but $built is missing"

# Sanity check: the binary runs and reports the expected version.
built_version="$("$built" --version)" || die "built binary does not run"
log "$built_version"
[[ "$built_version" == *" $version" ]] || die "expected version $version, got: $built_version"

kill "$ticker" 2>/dev/null || true
mv -f "$built" "$binary"
printf '%s\n' "$manifest_sum" >"$stamp"

log "built $binary in $((SECONDS - start))s"
printf '%s\n' "$binary"
