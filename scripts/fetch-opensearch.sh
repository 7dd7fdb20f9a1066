#!/usr/bin/env bash
# Fetch the OpenSearch distribution the OpenSearch tests and benchmarks run (the
# "integ-test-zip": no bundled JDK, no plugins) from Maven Central into .opensearch/
# (git-ignored). Does nothing when it is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${DANVAN_OPENSEARCH_VERSION:-2.19.6}"
target=".opensearch/opensearch-${version}.zip"
if [ -f "$target" ]; then
    exit 0
fi
mkdir -p .opensearch
mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
    -Dartifact="org.opensearch.distribution.integ-test-zip:opensearch:${version}:zip" \
    -DoutputDirectory=.opensearch
test -f "$target"
