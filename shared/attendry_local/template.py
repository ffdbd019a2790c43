"""Reading template.yaml as CloudFormation does: short tags first, then the SAM transform.

The SAM translator expands what a template only implies (event source mappings, the HTTP
API's routes and authorizers, schedules as rules), so the local runtime reads the very
resources a deployment creates instead of re-implementing SAM's rules.
"""

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from samtranslator.internal.managed_policies import get_bundled_managed_policy_map
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

from attendry_local.aws import local_session

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"

# The translator insists on S3 code locations; local folders travel through it under this
# bucket and come back out of the translated template as the S3 key.
LOCAL_CODE_BUCKET = "attendry-local-code"

_CODE_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}


class TemplateError(Exception):
    """The template cannot be read or run locally; the message names the resource."""


class _CloudFormationLoader(yaml.SafeLoader):
    """A SafeLoader of our own, so the short tags never leak into yaml.SafeLoader itself."""


def _construct_intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> Any:
    name = tag_suffix if tag_suffix in ("Ref", "Condition") else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise TemplateError(f"Unreadable tag !{tag_suffix}")
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(path: Path) -> dict[str, Any]:
    """The template as a plain dict, short tags turned into their long `Fn::` form."""
    try:
        with path.open(encoding="utf-8") as stream:
            document = yaml.load(stream, Loader=_CloudFormationLoader)  # noqa: S506
    except (OSError, yaml.YAMLError) as error:
        raise TemplateError(f"Cannot read {path}: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError(f"{path} has no Resources section")
    return document


@dataclass(frozen=True)
class Template:
    """A template as written (`sam`) and as deployed (`cfn`, after the SAM transform)."""

    path: Path
    sam: dict[str, Any]
    cfn: dict[str, Any]

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.cfn["Resources"]
        return resources


def read_template(path: Path, pseudo_parameters: dict[str, Any]) -> Template:
    """Load and transform `path`; `pseudo_parameters` are AWS::Region, AWS::AccountId, ..."""
    sam = load_template(path)
    return Template(path=path.resolve(), sam=sam, cfn=translate(sam, pseudo_parameters))


def translate(sam: dict[str, Any], pseudo_parameters: dict[str, Any]) -> dict[str, Any]:
    """The CloudFormation the SAM transform would deploy, with local code folders kept."""
    transforms = sam.get("Transform", [])
    if SAM_TRANSFORM not in (transforms if isinstance(transforms, list) else [transforms]):
        return copy.deepcopy(sam)
    document = copy.deepcopy(sam)
    _wrap_local_code_locations(document)
    region = str(pseudo_parameters["AWS::Region"])
    session = local_session(region)
    try:
        translated: dict[str, Any] = Translator(None, Parser(), boto_session=session).translate(
            document,
            parameter_values=dict(pseudo_parameters),
            get_managed_policy_map=lambda: get_bundled_managed_policy_map("aws") or {},
        )
    except InvalidDocumentException as error:
        causes = "; ".join(str(cause) for cause in error.causes)
        raise TemplateError(f"The SAM transform rejected the template: {causes}") from error
    return translated


def _wrap_local_code_locations(document: dict[str, Any]) -> None:
    sections: list[tuple[str, dict[str, Any]]] = [
        (resource.get("Type", ""), resource.get("Properties") or {})
        for resource in document["Resources"].values()
        if isinstance(resource, dict)
    ]
    globals_function = (document.get("Globals") or {}).get("Function")
    if isinstance(globals_function, dict):
        sections.append(("AWS::Serverless::Function", globals_function))
    for resource_type, properties in sections:
        key = _CODE_PROPERTIES.get(resource_type)
        location = properties.get(key) if key else None
        if key and isinstance(location, str) and not location.startswith("s3://"):
            properties[key] = f"s3://{LOCAL_CODE_BUCKET}/{location}"
