#!/bin/sh
# Builds badgebot as one static binary: cgo for SQLite (mattn/go-sqlite3)
# linked statically against libc, Go's own DNS resolver and user lookup
# (netgo, osusergo) so that no libc NSS module is loaded at run time, and the
# time zone database inside the binary (timetzdata) for digest.timezone.
# The Dockerfile and deploy_test.go both build with this script, so the
# binary tested in an empty root is the one the image ships.
#
#   sh deploy/build-static.sh OUT   (run from the repository root)
set -eu
out="${1:?usage: build-static.sh OUT}"
CGO_ENABLED=1 go build \
  -trimpath \
  -tags 'netgo osusergo timetzdata sqlite_omit_load_extension' \
  -ldflags '-s -w -linkmode external -extldflags "-static"' \
  -o "$out" ./cmd/badgebot
