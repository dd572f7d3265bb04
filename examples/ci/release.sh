#!/usr/bin/env bash
# One release step for CI: builds IMAGE:TAG for PLATFORMS on the build hosts of INVENTORY with
# `coordinator build`, pushes the per-platform images and the list, writes REPORT, and exits with
# coordinator's exit code (0 pushed, 1 a build failed, 2 usage, 3 infrastructure; see the README).
# examples/ci/github-actions.yml and examples/ci/gitlab-ci.yml call it; a test runs it against the local
# test fleet (Tests/IntegrationTests/CIExampleTests.swift), so a change that breaks it fails CI.
#
# From the CI's secrets (each is removed from the environment before coordinator runs):
#   SSH_PRIVATE_KEY     the private key the build hosts accept (OpenSSH format, no passphrase)
#   SSH_KNOWN_HOSTS     the hosts' known_hosts lines (`ssh-keyscan -p PORT -t ed25519 HOST`, checked by
#                       hand once): coordinator refuses a host whose key it does not know
#   REGISTRY_USER       registry user name (optional: without it, no credentials are written)
#   REGISTRY_PASSWORD   its password or token
# What to build:
#   IMAGE               REGISTRY/REPOSITORY, without a tag (required)
#   TAG                 the release's tag (required)
#   PLATFORMS           default linux/amd64,linux/arm64
#   INVENTORY           default inventory.json
#   CONTEXT             default .
#   REPORT              default report.json
#   REGISTRY            the registry the credentials are for (default: IMAGE's first component)
#   COORDINATOR         the coordinator binary (default: `coordinator` on PATH)
#   SSH_KEY_FILE        where the key goes (default ~/.ssh/id_ed25519, one of the files tried by default)
# Further arguments go to `coordinator build` (for example `--windows-version ltsc2022` or `-f FILE`).
#
# Credentials go to ${DOCKER_CONFIG:-~/.docker}/config.json, which coordinator reads as the Docker CLI
# does; the password passes only through shell builtins and a pipe, never a command line.
set -euo pipefail

die() { printf 'release: error: %s\n' "$*" >&2; exit 2; }

: "${IMAGE:?set IMAGE to REGISTRY/REPOSITORY}"
: "${TAG:?set TAG to the release tag}"
: "${SSH_PRIVATE_KEY:?set SSH_PRIVATE_KEY from the CI secret holding the build hosts key}"
: "${SSH_KNOWN_HOSTS:?set SSH_KNOWN_HOSTS from the CI secret holding the hosts known_hosts lines}"
: "${HOME:?HOME is not set}"
COORDINATOR=${COORDINATOR:-coordinator}
PLATFORMS=${PLATFORMS:-linux/amd64,linux/arm64}
INVENTORY=${INVENTORY:-inventory.json}
CONTEXT=${CONTEXT:-.}
REPORT=${REPORT:-report.json}
SSH_KEY_FILE=${SSH_KEY_FILE:-$HOME/.ssh/id_ed25519}

command -v "$COORDINATOR" >/dev/null || die "coordinator not found (COORDINATOR=$COORDINATOR): install the package"
[[ -f $INVENTORY ]] || die "no inventory at $INVENTORY (set INVENTORY)"

# --- SSH: the key and the known hosts, private to this user ------------------------------------
umask 077
mkdir -p "$HOME/.ssh" "$(dirname "$SSH_KEY_FILE")"
if [[ -e $SSH_KEY_FILE ]]; then
    die "$SSH_KEY_FILE exists already; set SSH_KEY_FILE to another path (and name it in the inventory)"
fi
printf '%s\n' "${SSH_PRIVATE_KEY%$'\n'}" >"$SSH_KEY_FILE"
printf '%s\n' "${SSH_KNOWN_HOSTS%$'\n'}" >>"$HOME/.ssh/known_hosts"
unset SSH_PRIVATE_KEY SSH_KNOWN_HOSTS

# --- registry credentials: Docker's config.json, as `docker login` would write it ---------------
if [[ -n ${REGISTRY_USER:-} ]]; then
    : "${REGISTRY_PASSWORD:?set REGISTRY_PASSWORD with REGISTRY_USER}"
    registry=${REGISTRY:-${IMAGE%%/*}}
    # A first component without `.` or `:` that is not localhost is a Docker Hub repository.
    if [[ $IMAGE != */* || ( $registry != *.* && $registry != *:* && $registry != localhost ) ]]; then
        registry=https://index.docker.io/v1/
    fi
    config_dir=${DOCKER_CONFIG:-$HOME/.docker}
    [[ -e $config_dir/config.json ]] &&
        die "$config_dir/config.json exists already; set DOCKER_CONFIG to an empty directory for this step"
    mkdir -p "$config_dir"
    # printf is a builtin: the password is in no process's argv; base64 reads it from the pipe.
    auth=$(printf '%s:%s' "$REGISTRY_USER" "$REGISTRY_PASSWORD" | base64 | tr -d '\n')
    [[ $REGISTRY_USER != *[\"\\]* ]] || die "REGISTRY_USER holds a quote or a backslash"
    printf '{\n  "auths": {\n    "%s": { "auth": "%s" }\n  }\n}\n' "$registry" "$auth" >"$config_dir/config.json"
    unset REGISTRY_PASSWORD auth
fi
umask 022

# --- the release --------------------------------------------------------------------------------
rc=0
"$COORDINATOR" build --inventory "$INVENTORY" --image "$IMAGE" --tag "$TAG" --platform "$PLATFORMS" \
    --context "$CONTEXT" --progress plain --json "$REPORT" "$@" || rc=$?
printf 'release: coordinator build exited %d; report in %s\n' "$rc" "$REPORT" >&2
exit "$rc"
