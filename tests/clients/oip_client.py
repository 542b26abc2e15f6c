"""A third-party Open Inference Protocol client against `lathe serve`.

Uses NVIDIA Triton's own HTTP client (tritonclient.http) the way its users do:
server and model readiness, server and model metadata, then the same rows
scored three ways — binary tensors both ways (the client's default: no
outputs listed, so it asks for binary_data_output), JSON both ways
(binary_data=False on the inputs and on every requested output), and mixed
(binary inputs, the prediction as binary, probabilities as JSON).

    python oip_client.py HOST:PORT MODEL COLUMNS.json

COLUMNS.json holds {"column": [values, ...], ...}. Each column is sent as one
tensor of shape [N], typed as the model's metadata says: BYTES (a numpy
object array of str) for categories, FP64 for numbers. Prints one JSON
document on stdout; exits 1 with a message on stderr on any error.
"""

import json
import sys

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException


def fail(message):
    print(f"oip_client: {message}", file=sys.stderr)
    sys.exit(1)


def build_inputs(metadata, columns, binary):
    inputs = []
    for spec in metadata["inputs"]:
        name, datatype = spec["name"], spec["datatype"]
        if name not in columns:
            fail(f"the input file has no column '{name}'")
        values = columns[name]
        if datatype == "BYTES":
            array = np.array([str(v) for v in values], dtype=np.object_)
        elif datatype == "FP64":
            array = np.array(
                [np.nan if v is None else float(v) for v in values], dtype=np.float64
            )
        else:
            fail(f"input '{name}' has datatype {datatype}; this client sends BYTES or FP64")
        tensor = httpclient.InferInput(name, [len(values)], datatype)
        tensor.set_data_from_numpy(array, binary_data=binary)
        inputs.append(tensor)
    return inputs


def decode(result, metadata):
    """Predictions and probabilities of a result, and how each output came."""
    response = result.get_response()
    forms = {}
    for output in response["outputs"]:
        params = output.get("parameters") or {}
        if "binary_data_size" in params:
            forms[output["name"]] = "binary"
        elif "data" in output:
            forms[output["name"]] = "json"
        else:
            fail(f"output '{output['name']}' has neither data nor binary_data_size")
    names = [o["name"] for o in metadata["outputs"]]
    target = names[0]
    predictions = result.as_numpy(target)
    if predictions is None:
        fail(f"the response has no output '{target}'")
    if predictions.dtype == np.object_:
        predictions = [
            p.decode("utf-8") if isinstance(p, bytes) else str(p) for p in predictions
        ]
    else:
        predictions = [float(p) for p in predictions]
    out = {"predictions": predictions, "forms": forms}
    if "probabilities" in names:
        probabilities = result.as_numpy("probabilities")
        if probabilities is None:
            fail("the response has no output 'probabilities'")
        out["probabilities"] = probabilities.astype(np.float64).tolist()
    return out


def main():
    if len(sys.argv) != 4:
        fail("usage: oip_client.py HOST:PORT MODEL COLUMNS.json")
    url, model, path = sys.argv[1:]
    with open(path, encoding="utf-8") as f:
        columns = json.load(f)
    client = httpclient.InferenceServerClient(url=url, network_timeout=60.0)
    if not client.is_server_live():
        fail("the server is not live")
    if not client.is_server_ready():
        fail("the server is not ready")
    if not client.is_model_ready(model):
        fail(f"model '{model}' is not ready")
    server = client.get_server_metadata()
    metadata = client.get_model_metadata(model)
    output_names = [o["name"] for o in metadata["outputs"]]

    binary = client.infer(model, build_inputs(metadata, columns, binary=True))
    as_json = client.infer(
        model,
        build_inputs(metadata, columns, binary=False),
        outputs=[httpclient.InferRequestedOutput(n, binary_data=False) for n in output_names],
    )
    mixed = client.infer(
        model,
        build_inputs(metadata, columns, binary=True),
        outputs=[
            httpclient.InferRequestedOutput(n, binary_data=(i == 0))
            for i, n in enumerate(output_names)
        ],
    )
    print(
        json.dumps(
            {
                "extensions": server.get("extensions", []),
                "inputs": {i["name"]: i["datatype"] for i in metadata["inputs"]},
                "outputs": output_names,
                "binary": decode(binary, metadata),
                "json": decode(as_json, metadata),
                "mixed": decode(mixed, metadata),
            }
        )
    )


if __name__ == "__main__":
    try:
        main()
    except InferenceServerException as e:
        fail(f"the server refused: {e}")
    except Exception as e:  # noqa: BLE001 — any failure is one clear line, never a traceback
        fail(f"{type(e).__name__}: {e}")
