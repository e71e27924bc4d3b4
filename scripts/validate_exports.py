#!/usr/bin/env python3
"""Validates `gridrun export-job` files offline against the real APIs' schemas.

    PY=$(scripts/python-cloud-env.sh)
    $PY scripts/validate_exports.py DIR/*.register.json DIR/*.submit.json DIR/*.yaml

- `*.register.json`: AWS Batch RegisterJobDefinition input; `*.submit.json`
  and `*.merge.json`: SubmitJob input. Checked with botocore's own parameter
  validator against the operation's input shape in botocore's `batch` service
  model (unknown keys, missing required members, types, minimums), plus the
  enum values of that model, which botocore's validator leaves to the server.
- `*.yaml`: Kubernetes objects, each deserialised strictly into the official
  Python client's model for its apiVersion/kind: every key must be a field of
  the model, every value of the field's type, required fields present, enum
  values allowed (the models' own client-side validation); then the Job rules
  the API server enforces for Indexed Jobs with per-index retries.

Prints one `ok FILE` line per file; exits 1 with the first problem otherwise.
"""

import json
import re
import sys
from pathlib import Path

import botocore.session
import yaml
from botocore.validate import validate_parameters
from kubernetes import client

AWS_OPERATIONS = {
    ".register.json": "RegisterJobDefinition",
    ".submit.json": "SubmitJob",
    ".merge.json": "SubmitJob",
}
K8S_MODELS = {
    ("batch/v1", "Job"): "V1Job",
    ("v1", "PersistentVolumeClaim"): "V1PersistentVolumeClaim",
}


class Invalid(Exception):
    pass


def check_enums(value, shape, path):
    """botocore's validator skips enums: check them against the model."""
    kind = shape.type_name
    if kind == "structure":
        for name, member in shape.members.items():
            if name in value:
                check_enums(value[name], member, f"{path}.{name}")
    elif kind == "list":
        for i, item in enumerate(value):
            check_enums(item, shape.member, f"{path}[{i}]")
    elif kind == "map":
        for key, item in value.items():
            check_enums(item, shape.value, f"{path}.{key}")
    elif kind == "string" and shape.enum and value not in shape.enum:
        raise Invalid(f"{path}: {value!r} is not one of {shape.enum}")


def check_aws(path, operation):
    model = botocore.session.get_session().get_service_model("batch")
    shape = model.operation_model(operation).input_shape
    params = json.loads(path.read_text())
    try:
        validate_parameters(params, shape)
    except Exception as e:  # botocore's ParamValidationError lists every problem
        raise Invalid(f"{operation}: {e}") from e
    check_enums(params, shape, operation)


def strict(value, type_name, path):
    """Deserialises `value` as the client's `type_name`, rejecting anything
    the model does not declare."""
    if type_name.startswith("list["):
        if not isinstance(value, list):
            raise Invalid(f"{path}: expected a list, got {value!r}")
        return [strict(v, type_name[5:-1], f"{path}[{i}]") for i, v in enumerate(value)]
    if type_name.startswith(("dict(", "dict[")):
        inner = re.match(r"dict[(\[]str, (.*)[)\]]$", type_name).group(1)
        if not isinstance(value, dict):
            raise Invalid(f"{path}: expected a map, got {value!r}")
        return {k: strict(v, inner, f"{path}.{k}") for k, v in value.items()}
    scalars = {"str": str, "int": int, "bool": bool, "float": (int, float)}
    if type_name in scalars:
        ok = isinstance(value, scalars[type_name]) and not (
            type_name == "int" and isinstance(value, bool)
        )
        if not ok:
            raise Invalid(f"{path}: expected {type_name}, got {value!r}")
        return value
    if type_name in ("object", "datetime", "date"):
        return value
    klass = getattr(client.models, type_name)
    if not isinstance(value, dict):
        raise Invalid(f"{path}: expected a {type_name} object, got {value!r}")
    fields = {json_key: attr for attr, json_key in klass.attribute_map.items()}
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise Invalid(f"{path}: unknown field(s) {unknown} for {type_name}")
    kwargs = {
        fields[k]: strict(v, klass.openapi_types[fields[k]], f"{path}.{k}")
        for k, v in value.items()
    }
    try:
        return klass(**kwargs)
    except ValueError as e:
        raise Invalid(f"{path}: {e}") from e


def check_job_rules(job, path):
    """What the API server's Job validation adds to the schema."""
    spec = job.spec
    pod = spec.template.spec
    if spec.completion_mode == "Indexed" and spec.completions is None:
        raise Invalid(f"{path}: an Indexed Job needs spec.completions")
    if spec.backoff_limit_per_index is not None and spec.completion_mode != "Indexed":
        raise Invalid(f"{path}: backoffLimitPerIndex needs completionMode: Indexed")
    if pod.restart_policy not in ("Never", "OnFailure"):
        raise Invalid(f"{path}: a Job's pods need restartPolicy Never or OnFailure")
    if spec.pod_failure_policy is not None and pod.restart_policy != "Never":
        raise Invalid(f"{path}: podFailurePolicy needs restartPolicy: Never")
    claims = {
        v.persistent_volume_claim.claim_name
        for v in pod.volumes or []
        if v.persistent_volume_claim is not None
    }
    mounts = {m.name for c in pod.containers for m in c.volume_mounts or []}
    volumes = {v.name for v in pod.volumes or []}
    if not mounts <= volumes:
        raise Invalid(f"{path}: volumeMounts {sorted(mounts - volumes)} name no volume")
    return claims


def check_k8s(path):
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    if not docs:
        raise Invalid("no Kubernetes objects")
    for i, doc in enumerate(docs):
        key = (doc.get("apiVersion"), doc.get("kind"))
        if key not in K8S_MODELS:
            raise Invalid(f"document {i}: unexpected apiVersion/kind {key}")
        obj = strict(doc, K8S_MODELS[key], f"document {i} ({key[1]})")
        if key[1] == "Job":
            check_job_rules(obj, f"document {i} (Job)")
        if key[1] == "PersistentVolumeClaim" and "ReadWriteMany" not in obj.spec.access_modes:
            raise Invalid(f"document {i}: the output claim must be ReadWriteMany")


def main(paths):
    for name in paths:
        path = Path(name)
        try:
            operation = next(
                (op for suffix, op in AWS_OPERATIONS.items() if name.endswith(suffix)), None
            )
            if operation:
                check_aws(path, operation)
            elif name.endswith((".yaml", ".yml")):
                check_k8s(path)
            else:
                raise Invalid("not an export-job file (.register/.submit/.merge.json, .yaml)")
        except (Invalid, json.JSONDecodeError, yaml.YAMLError) as e:
            print(f"{name}: invalid: {e}", file=sys.stderr)
            return 1
        print(f"ok {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
