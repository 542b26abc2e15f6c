#!/bin/sh
# Turn `lathe pipeline run --json` output (file $1) into a Markdown comment on stdout.
# Needs jq.
set -eu
jq -r '
  .pipeline as $p
  | "### lathe pipeline: \($p.outcome | gsub("_"; " "))\n",
    "\($p.summary)\n",
    "| step | verdict | seconds | detail |",
    "|---|---|---:|---|",
    ($p.steps[] | "| \(.step) | \(.verdict) | \(.seconds * 10 | round / 10) | \(.detail | gsub("\\|"; "\\\\|")) |"),
    "\npipeline run `\($p.id)`, exit code \(.exit_code)"
' "$1"
