#!/usr/bin/env bash
# Pre-deploy verification of the pricing function, as CI runs it (ci/pre-deploy.yml):
#
#   1. publish the new build as a version, the candidate, and point the `candidate` alias at it;
#   2. run the contract tests (tests/contract.rs) against the real deployment:
#      LAMBDA_TEST_TARGET=aws, the candidate named by CANDIDATE_VERSION, the committed
#      snapshots as the expectation (CI=true: a snapshot that differs fails, none is written);
#   3. only when they pass, shift `live` to the candidate.
#
# Credentials and region come from aws-config's default chain, as for the AWS CLI: the
# environment (e.g. from GitHub's OIDC role), AWS_PROFILE, or a profile with role_arn.
#
#   ./pre-deploy.sh <function.zip>      (built with `cargo lambda build --release --output-format zip`)
set -euo pipefail
cd "$(dirname "$0")"

FUNCTION=${FUNCTION:-pricing}
ZIP=${1:?usage: pre-deploy.sh <function.zip>}

echo "publishing $ZIP as a new version of $FUNCTION"
CANDIDATE_VERSION=$(aws lambda update-function-code --function-name "$FUNCTION" \
    --zip-file "fileb://$ZIP" --publish --query Version --output text)
aws lambda wait published-version-active --function-name "$FUNCTION" --qualifier "$CANDIDATE_VERSION"
aws lambda update-alias --function-name "$FUNCTION" --name candidate \
    --function-version "$CANDIDATE_VERSION" >/dev/null
echo "candidate: version $CANDIDATE_VERSION"

# The contract, against what is deployed. A failure leaves `live` where it was.
LAMBDA_TEST_TARGET=aws CANDIDATE_VERSION=$CANDIDATE_VERSION CI=true \
    cargo test -p versions --test contract

aws lambda update-alias --function-name "$FUNCTION" --name live \
    --function-version "$CANDIDATE_VERSION" >/dev/null
echo "live: version $CANDIDATE_VERSION"
