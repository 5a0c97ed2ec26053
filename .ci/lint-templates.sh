#!/usr/bin/env bash
# Synthesizes both stages with the CDK CLI (make synth) and runs cfn-lint on
# every template in cdk.out/<stage>. Fails on any cfn-lint error or warning
# except the ones .cfnlintrc ignores, each with its reason (docs/deploy.md).
# cfn-lint is a Python tool: .ci/run installs it when it can (apt, else pip);
# where neither is reachable the templates are still synthesized (and
# cdk-nag still runs) and this script says loudly that they were not linted.
set -euo pipefail
cd "$(dirname "$0")/.."
# Prod refuses placeholders, so it gets example values of the right shape.
make --no-print-directory synth STAGE=dev CDK_OUT=cdk.out/dev >/dev/null
make --no-print-directory synth STAGE=prod CDK_OUT=cdk.out/prod >/dev/null \
  CDK_CONTEXT="-c allowedOrigins=https://sportello.regione.example.it -c senderAddress=noreply@regione.example.it -c alarmEmail=esercizio@regione.example.it"
if ! command -v cfn-lint >/dev/null; then
  echo "lint-templates: cfn-lint is not installed: the templates in cdk.out/{dev,prod} were synthesized but NOT linted" >&2
  exit 0
fi
templates=(cdk.out/dev/*.template.json cdk.out/prod/*.template.json)
echo "lint-templates: cfn-lint $(cfn-lint --version | awk '{print $2}') on ${#templates[@]} templates: ${templates[*]}"
cfn-lint --config-file .cfnlintrc -- "${templates[@]}"
echo "lint-templates: 0 errors, 0 warnings beyond those .cfnlintrc documents"
