//! OpenShift Pipelines (Tekton, `tekton.dev/v1`) `Task` and `Pipeline` that
//! run the lathe pipeline and build the champion's bundle into an image with
//! buildah. Tekton has no Rust types, so these serde structs carry exactly
//! the fields written (checked against Tekton's v1 API reference: Task
//! `spec.params/workspaces/results/steps`, Pipeline `spec.params/workspaces/tasks`).

use serde::{Deserialize, Serialize};

pub const API_VERSION: &str = "tekton.dev/v1";
pub const TASK_NAME: &str = "lathe-retrain";
pub const PIPELINE_NAME: &str = "lathe-retrain";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub name: String,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub labels: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource<S> {
    pub api_version: String,
    pub kind: String,
    pub metadata: Meta,
    pub spec: S,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Named {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub name: String,
    pub image: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskSpec {
    pub params: Vec<ParamSpec>,
    pub workspaces: Vec<Named>,
    #[serde(default)]
    pub results: Vec<Named>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Param {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceBinding {
    pub name: String,
    pub workspace: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRef {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineTask {
    pub name: String,
    pub task_ref: TaskRef,
    pub params: Vec<Param>,
    pub workspaces: Vec<WorkspaceBinding>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineSpec {
    pub params: Vec<ParamSpec>,
    pub workspaces: Vec<Named>,
    pub tasks: Vec<PipelineTask>,
}

pub type Task = Resource<TaskSpec>;
pub type Pipeline = Resource<PipelineSpec>;

fn param(name: &str, description: &str, default: &str) -> ParamSpec {
    ParamSpec {
        name: name.to_owned(),
        kind: "string".to_owned(),
        description: description.to_owned(),
        default: Some(default.to_owned()),
    }
}

fn meta(name: &str) -> Meta {
    Meta {
        name: name.to_owned(),
        labels: [(
            "app.kubernetes.io/managed-by".to_owned(),
            "lathe".to_owned(),
        )]
        .into(),
    }
}

/// The Task: run the pipeline on the project workspace; when it made a
/// bundle, build (and push) its image with buildah.
pub fn task(lathe_image: &str, image: &str) -> Task {
    let params = vec![
        param("lathe-image", "An image with the lathe binary", lathe_image),
        param(
            "project-file",
            "The project file, relative to the workspace",
            "lathe.toml",
        ),
        param(
            "run-flag",
            "A flag for lathe pipeline run: --wait, or --when-drift to retrain only on drift",
            "--wait",
        ),
        param("image", "Where to push the model server image", image),
        param(
            "buildah-image",
            "The buildah image",
            "quay.io/buildah/stable:latest",
        ),
    ];
    let run = Step {
        name: "validate-train-gate".to_owned(),
        image: "$(params.lathe-image)".to_owned(),
        args: vec![
            "pipeline".into(),
            "run".into(),
            "$(workspaces.project.path)/$(params.project-file)".into(),
            "$(params.run-flag)".into(),
            "--bundle-path-file".into(),
            "$(results.bundle.path)".into(),
        ],
        script: None,
        working_dir: Some("$(workspaces.project.path)".into()),
    };
    let build = Step {
        name: "build-image".to_owned(),
        image: "$(params.buildah-image)".to_owned(),
        args: Vec::new(),
        script: Some(
            "#!/bin/sh\nset -eu\n\
             # The pipeline step wrote the new bundle's folder, or nothing when there was nothing to do.\n\
             bundle=$(cat $(results.bundle.path))\n\
             if [ -z \"$bundle\" ]; then echo 'no new bundle: nothing to build'; exit 0; fi\n\
             buildah --storage-driver vfs bud --isolation chroot -t $(params.image) \"$bundle\"\n\
             buildah --storage-driver vfs push $(params.image)\n"
                .to_owned(),
        ),
        working_dir: Some("$(workspaces.project.path)".into()),
    };
    Resource {
        api_version: API_VERSION.to_owned(),
        kind: "Task".to_owned(),
        metadata: meta(TASK_NAME),
        spec: TaskSpec {
            params,
            workspaces: vec![Named {
                name: "project".into(),
                description: Some("The lathe project (lathe.toml, data, .lathe/)".into()),
            }],
            results: vec![Named {
                name: "bundle".into(),
                description: Some("The folder of the bundle the run made (empty: none)".into()),
            }],
            steps: vec![run, build],
        },
    }
}

/// The Pipeline: one task, its parameters passed through.
pub fn pipeline(task: &Task) -> Pipeline {
    let params = task.spec.params.clone();
    let bound = params
        .iter()
        .map(|p| Param {
            name: p.name.clone(),
            value: format!("$(params.{})", p.name),
        })
        .collect();
    Resource {
        api_version: API_VERSION.to_owned(),
        kind: "Pipeline".to_owned(),
        metadata: meta(PIPELINE_NAME),
        spec: PipelineSpec {
            params,
            workspaces: vec![Named {
                name: "project".into(),
                description: None,
            }],
            tasks: vec![PipelineTask {
                name: "retrain".into(),
                task_ref: TaskRef {
                    name: task.metadata.name.clone(),
                },
                params: bound,
                workspaces: vec![WorkspaceBinding {
                    name: "project".into(),
                    workspace: "project".into(),
                }],
            }],
        },
    }
}

/// Every `$(params.NAME)` in `text`.
pub fn param_refs(text: &str) -> Vec<String> {
    text.split("$(params.")
        .skip(1)
        .filter_map(|rest| rest.split_once(')').map(|(n, _)| n.to_owned()))
        .collect()
}
