//! The Open Inference Protocol's binary tensor data extension (as KServe and
//! Triton define it): a JSON header of `Inference-Header-Content-Length`
//! bytes, then each input marked `"parameters": {"binary_data_size": N}` as
//! raw little-endian bytes, in input order (BYTES elements are a 4-byte
//! little-endian length and the UTF-8 text; BOOL one byte, 0 or 1). This
//! module only translates: [`decode_request`] puts each binary tensor back
//! as the `data` list a JSON request would carry, so
//! [`crate::bundle::input::oip`] stays the one place rows are checked;
//! [`encode`] writes output tensors ([`tensor`]: one tensor's bytes). Every
//! length comes from the client, so each is checked against the bytes
//! actually received before anything is allocated from it; refusals name
//! the tensor.

pub mod tensor;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
pub use tensor::{decode, encode};

/// The header that gives the JSON part's length.
pub const HEADER_LENGTH: &str = "inference-header-content-length";

fn bad(tensor: &str, message: impl Into<String>) -> Error {
    Error::input(message).field(tensor.to_owned())
}

/// The body of an infer request as the JSON request it stands for: the
/// header parsed, each binary input's bytes decoded into its `data`.
/// `header_len` is `Inference-Header-Content-Length` (the whole body when
/// the header is absent).
pub fn decode_request(body: &[u8], header_len: usize) -> Result<Value> {
    const FIELD: &str = "Inference-Header-Content-Length";
    if header_len == 0 {
        return Err(bad(
            FIELD,
            "a raw binary request (Inference-Header-Content-Length: 0) is not supported: \
             send the JSON inference header first, with binary_data_size on each binary input",
        ));
    }
    if header_len > body.len() {
        return Err(bad(
            FIELD,
            format!(
                "Inference-Header-Content-Length is {header_len} but the body has only {} bytes",
                body.len()
            ),
        ));
    }
    let mut header: Value = serde_json::from_slice(&body[..header_len]).map_err(|e| {
        bad(
            "body",
            format!(
                "malformed JSON{} at line {} column {}: {e}",
                if header_len < body.len() {
                    " in the inference header"
                } else {
                    ""
                },
                e.line(),
                e.column()
            ),
        )
    })?;
    let mut rest = &body[header_len..];
    if let Some(inputs) = header.get_mut("inputs").and_then(Value::as_array_mut) {
        for (i, input) in inputs.iter_mut().enumerate() {
            if let Some(obj) = input.as_object_mut() {
                rest = decode_input(obj, i, rest)?;
            }
        }
    }
    if !rest.is_empty() {
        return Err(bad(
            "inputs",
            format!(
                "{} bytes after the inference header belong to no input \
                 (each binary input needs \"parameters\": {{\"binary_data_size\": N}})",
                rest.len()
            ),
        ));
    }
    Ok(header)
}

/// Decode one input if it is binary; what is left of the body after it.
fn decode_input<'a>(obj: &mut Map<String, Value>, i: usize, rest: &'a [u8]) -> Result<&'a [u8]> {
    let name = obj
        .get("name")
        .and_then(Value::as_str)
        .map_or_else(|| format!("inputs[{i}]"), str::to_owned);
    let params = obj.get("parameters");
    if params.and_then(|p| p.get("shared_memory_region")).is_some() {
        return Err(bad(
            &name,
            format!(
                "tensor '{name}': the shared memory extension is not supported; send the data in the body"
            ),
        ));
    }
    let Some(size) = params.and_then(|p| p.get("binary_data_size")) else {
        return Ok(rest);
    };
    let size = size.as_u64().ok_or_else(|| {
        bad(
            &name,
            format!(
                "tensor '{name}': binary_data_size must be a whole number of bytes, not {size}"
            ),
        )
    })?;
    if obj.contains_key("data") {
        return Err(bad(
            &name,
            format!("tensor '{name}' has both 'data' and binary_data_size: send one of them"),
        ));
    }
    let datatype = obj.get("datatype").and_then(Value::as_str).ok_or_else(|| {
        bad(
            &name,
            format!("tensor '{name}' needs a 'datatype' (FP64, INT64, BYTES, BOOL, …)"),
        )
    })?;
    let count = element_count(obj.get("shape"), &name)?;
    let size = usize::try_from(size)
        .ok()
        .filter(|s| *s <= rest.len())
        .ok_or_else(|| {
            bad(
                &name,
                format!(
                    "tensor '{name}': binary_data_size is {size} but only {} bytes of binary data are left in the body",
                    rest.len()
                ),
            )
        })?;
    let (bytes, rest) = rest.split_at(size);
    let data = decode(&name, datatype, bytes, count)?;
    obj.insert("data".into(), Value::Array(data));
    Ok(rest)
}

/// The number of elements a shape holds (checked, never overflowing).
fn element_count(shape: Option<&Value>, name: &str) -> Result<usize> {
    let dims = shape
        .and_then(Value::as_array)
        .ok_or_else(|| bad(name, format!("tensor '{name}' needs a 'shape', e.g. [1]")))?;
    dims.iter().try_fold(1usize, |n, d| {
        d.as_u64()
            .and_then(|d| usize::try_from(d).ok())
            .and_then(|d| n.checked_mul(d))
            .ok_or_else(|| {
                bad(
                    name,
                    format!("tensor '{name}': shape {} is not a list of whole numbers that fit in memory", Value::Array(dims.clone())),
                )
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A request of a FP64 tensor 'x' and a BYTES tensor 'y', two elements each.
    fn request(x: &Value, y: &Value, tail: &[u8]) -> (Vec<u8>, usize) {
        let header = json!({"inputs": [
            {"name": "x", "shape": [2], "datatype": "FP64", "parameters": x},
            {"name": "y", "shape": [2], "datatype": "BYTES", "parameters": y},
        ]});
        let mut body = header.to_string().into_bytes();
        let n = body.len();
        body.extend_from_slice(tail);
        (body, n)
    }

    #[test]
    fn binary_inputs_become_data_and_malformed_ones_name_the_tensor() {
        let mut tail = encode("x", "FP64", &[json!(1.5), json!(-2.0)]).unwrap_or_default();
        tail.extend(encode("y", "BYTES", &[json!("a"), json!("bc")]).unwrap_or_default());
        let (x, y) = (
            json!({"binary_data_size": 16}),
            json!({"binary_data_size": 11}),
        );
        let (body, n) = request(&x, &y, &tail);
        let v = decode_request(&body, n).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v["inputs"][0]["data"], json!([1.5, -2.0]));
        assert_eq!(v["inputs"][1]["data"], json!(["a", "bc"]));
        let field = |body: &[u8], n: usize| {
            decode_request(body, n)
                .err()
                .and_then(|e| e.location.field.clone())
        };
        let mut bad_len = tail.clone();
        bad_len[16] = 9;
        let mut latin = tail.clone();
        latin[20] = 0xff;
        let cases = [
            (json!({"binary_data_size": 8}), y.clone(), tail.clone(), "x"),
            (
                x.clone(),
                json!({"binary_data_size": 10}),
                tail.clone(),
                "y",
            ),
            (x.clone(), y.clone(), tail[..26].to_vec(), "y"),
            (x.clone(), y.clone(), bad_len, "y"),
            (x.clone(), y.clone(), latin, "y"),
            (
                json!({"binary_data_size": -1}),
                y.clone(),
                tail.clone(),
                "x",
            ),
            (
                json!({"shared_memory_region": "r"}),
                y.clone(),
                tail.clone(),
                "x",
            ),
            (x.clone(), y.clone(), [&tail[..], b"!"].concat(), "inputs"),
        ];
        for (i, (x, y, tail, name)) in cases.into_iter().enumerate() {
            let (body, n) = request(&x, &y, &tail);
            assert_eq!(field(&body, n).as_deref(), Some(name), "case {i}");
        }
        let (body, n) = request(&x, &y, &tail);
        assert_eq!(
            field(&body, body.len() + 1).as_deref(),
            Some("Inference-Header-Content-Length")
        );
        assert_eq!(field(&body, n - 1).as_deref(), Some("body"));
        let e = decode("b", "BOOL", &[2], 1)
            .err()
            .map(|e| e.message.clone());
        assert!(e.is_some_and(|m| m.contains("BOOL is 0 or 1")));
    }

    #[test]
    fn a_request_without_binary_inputs_is_its_json() {
        let body =
            json!({"inputs": [{"name": "a", "shape": [1], "datatype": "FP64", "data": [1.5]}]});
        let bytes = body.to_string().into_bytes();
        assert_eq!(decode_request(&bytes, bytes.len()).ok(), Some(body));
    }
}
