"""A third-party KServe V1 client against `lathe serve`: plain `requests`.

KServe's own Python package (`kserve`) brings a server stack (fastapi,
grpcio, the Kubernetes client, ...) to send what is two JSON POSTs, so this
client speaks the V1 REST protocol as KServe documents it with `requests`:
model readiness, then the rows as `{"instances": [...]}` to
`/v1/models/MODEL:predict` and `:explain`. It checks additivity itself
(base_value + sum of values = output, per row) so the check does not rest
on lathe's own code.

    python v1_client.py HOST:PORT MODEL INSTANCES.json

Prints one JSON document on stdout: {"ready", "predictions", "explain",
"additivity_error"}; exits 1 with a message on stderr on any error.
"""

import json
import sys

import requests


def fail(message):
    print(f"v1_client: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) != 4:
        fail("usage: v1_client.py HOST:PORT MODEL INSTANCES.json")
    base = f"http://{sys.argv[1]}/v1/models/{sys.argv[2]}"
    with open(sys.argv[3], encoding="utf-8") as f:
        instances = json.load(f)
    ready = requests.get(base, timeout=20)
    if ready.status_code != 200:
        fail(f"GET {base}: {ready.status_code} {ready.text}")
    body = {"instances": instances}
    pred = requests.post(f"{base}:predict", json=body, timeout=20)
    if pred.status_code != 200:
        fail(f":predict: {pred.status_code} {pred.text}")
    expl = requests.post(f"{base}:explain", json=body, timeout=20)
    if expl.status_code != 200:
        fail(f":explain: {expl.status_code} {expl.text}")
    explain = expl.json()
    worst = 0.0
    for row in explain["explanations"]:
        total = row["base_value"] + sum(row["values"].values())
        worst = max(worst, abs(total - row["output"]))
    json.dump(
        {
            "ready": ready.json(),
            "predictions": pred.json()["predictions"],
            "explain": explain,
            "additivity_error": worst,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
