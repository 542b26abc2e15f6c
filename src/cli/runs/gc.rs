//! `lathe runs gc`: remove the models and files of archived runs that no alias or bundle refers
//! to, and empty the trash — after showing what it frees.

use serde_json::json;

use super::{JSON_VERSION, confirm, short, to_json};
use crate::cli::output;
use crate::error::Result;
use crate::experiments::{Store, gc};

pub(super) fn gc_cmd(store: &Store, yes: bool, dry_run: bool, as_json: bool) -> Result<i32> {
    let plan = gc::plan(store)?;
    if as_json && (dry_run || plan.items.is_empty()) {
        output::emitln(&to_json(&json!({
            "lathe_json": JSON_VERSION,
            "plan": plan,
            "bytes": plan.bytes(),
            "freed": 0,
        })))?;
        return Ok(0);
    }
    if !as_json {
        for k in &plan.kept {
            output::emitln(&format!(
                "keep    {}  archived, but needed by {}",
                short(&k.run_id),
                k.reason
            ))?;
        }
        for i in &plan.items {
            output::emitln(&format!(
                "remove  {}  {} — {} in {} file(s)",
                short(&i.run_id),
                i.kind,
                crate::util::human_bytes(i.bytes),
                i.paths.len()
            ))?;
        }
        if plan.items.is_empty() {
            output::emitln("nothing to collect")?;
            return Ok(0);
        }
        output::emitln(&format!(
            "gc would free {}",
            crate::util::human_bytes(plan.bytes())
        ))?;
    }
    if dry_run || (!yes && !confirm("go ahead?")?) {
        return Ok(0);
    }
    let freed = gc::apply(store, &plan)?;
    if as_json {
        output::emitln(&to_json(&json!({
            "lathe_json": JSON_VERSION,
            "plan": plan,
            "bytes": plan.bytes(),
            "freed": freed,
        })))?;
    } else {
        output::emitln(&format!("freed {}", crate::util::human_bytes(freed)))?;
    }
    Ok(0)
}
