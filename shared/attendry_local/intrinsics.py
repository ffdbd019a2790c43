"""CloudFormation's intrinsic functions, evaluated against local values.

Only what a template can ask of a stack that is being created: parameters (their
defaults unless overridden), pseudo parameters, conditions, mappings and the identities
the local stand-ins give each resource (`Ref`, `Fn::GetAtt`).
"""

import base64
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from attendry_local.template import TemplateError


class ResourceIdentities(Protocol):
    """What `Ref` and `Fn::GetAtt` return for a resource of the template."""

    def ref(self, logical_id: str) -> Any: ...

    def get_att(self, logical_id: str, attribute: str) -> Any: ...


class _NoValue:
    """`AWS::NoValue`: the property disappears, as it does in CloudFormation."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_AVAILABILITY_ZONES = ("a", "b", "c")


class IntrinsicResolver:
    """Turns a template fragment into plain values; unknown functions fail by name."""

    def __init__(
        self,
        *,
        template: Mapping[str, Any],
        pseudo_parameters: Mapping[str, Any],
        parameter_overrides: Mapping[str, Any],
        resources: ResourceIdentities,
    ) -> None:
        self._declared_parameters: Mapping[str, Any] = template.get("Parameters") or {}
        self._conditions: Mapping[str, Any] = template.get("Conditions") or {}
        self._mappings: Mapping[str, Any] = template.get("Mappings") or {}
        self._pseudo = pseudo_parameters
        self._overrides = parameter_overrides
        self._resources = resources
        self._condition_values: dict[str, bool] = {}
        self._functions: dict[str, Callable[[Any], Any]] = {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::If": self._if,
            "Fn::Equals": self._equals,
            "Fn::And": lambda args: all(self._truth(arg) for arg in args),
            "Fn::Or": lambda args: any(self._truth(arg) for arg in args),
            "Fn::Not": lambda args: not self._truth(args[0]),
            "Condition": self.condition,
            "Fn::FindInMap": self._find_in_map,
            "Fn::Base64": lambda arg: base64.b64encode(str(self.resolve(arg)).encode()).decode(),
            "Fn::GetAZs": lambda _arg: [
                f"{self._pseudo['AWS::Region']}{zone}" for zone in _AVAILABILITY_ZONES
            ],
            "Fn::ToJsonString": lambda arg: json.dumps(self.resolve(arg), separators=(",", ":")),
            "Fn::Length": lambda arg: len(self.resolve(arg)),
        }

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic evaluated and every `AWS::NoValue` dropped."""
        if isinstance(value, dict):
            function = self._intrinsic_name(value)
            if function is not None:
                return self._functions[function](value[function])
            resolved = {key: self.resolve(item) for key, item in value.items()}
            return {key: item for key, item in resolved.items() if item is not NO_VALUE}
        if isinstance(value, list):
            return [item for item in map(self.resolve, value) if item is not NO_VALUE]
        return value

    def condition(self, name: str) -> bool:
        if name not in self._condition_values:
            if name not in self._conditions:
                raise TemplateError(f"Unknown condition {name}")
            self._condition_values[name] = self._truth(self._conditions[name])
        return self._condition_values[name]

    def parameter(self, name: str) -> Any:
        if name in self._pseudo:
            return self._pseudo[name]
        declaration = self._declared_parameters.get(name)
        if declaration is None:
            raise TemplateError(f"Unknown parameter {name}")
        if name in self._overrides:
            value = self._overrides[name]
        elif "Default" in declaration:
            value = declaration["Default"]
        else:
            raise TemplateError(f"Parameter {name} has no default; give it a local value")
        parameter_type = str(declaration.get("Type", "String"))
        if isinstance(value, str) and (
            parameter_type == "CommaDelimitedList" or parameter_type.startswith("List<")
        ):
            return [item.strip() for item in value.split(",")] if value else []
        return value if isinstance(value, list) else str(value)

    def _intrinsic_name(self, value: dict[str, Any]) -> str | None:
        if len(value) != 1:
            return None
        (key,) = value
        if key == "Condition" and not isinstance(value[key], str):
            return None
        if key in self._functions:
            return str(key)
        if key.startswith("Fn::"):
            raise TemplateError(f"{key} is not supported by the local runtime")
        return None

    def _truth(self, value: Any) -> bool:
        resolved = self.resolve(value)
        if isinstance(resolved, bool):
            return resolved
        return str(resolved).lower() == "true"

    def _ref(self, name: Any) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self._pseudo or name in self._declared_parameters:
            return self.parameter(name)
        return self._resources.ref(str(name))

    def _get_att(self, args: Any) -> Any:
        logical_id, attribute = args.split(".", 1) if isinstance(args, str) else args
        return self._resources.get_att(str(logical_id), str(self.resolve(attribute)))

    def _sub(self, args: Any) -> str:
        text, variables = (args, {}) if isinstance(args, str) else (args[0], args[1])
        values = {name: self.resolve(value) for name, value in variables.items()}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in values:
                value = values[name]
            elif "." in name and not name.startswith("AWS::"):
                value = self._get_att(name)
            else:
                value = self._ref(name)
            return ",".join(map(str, value)) if isinstance(value, list) else str(value)

        return _SUB_VARIABLE.sub(substitute, str(self.resolve(text)))

    def _join(self, args: Any) -> str:
        delimiter, items = args
        return str(delimiter).join(str(item) for item in self.resolve(items))

    def _select(self, args: Any) -> Any:
        index, items = args
        return self.resolve(items)[int(self.resolve(index))]

    def _split(self, args: Any) -> list[str]:
        delimiter, text = args
        return str(self.resolve(text)).split(str(delimiter))

    def _if(self, args: Any) -> Any:
        name, when_true, when_false = args
        return self.resolve(when_true if self.condition(name) else when_false)

    def _equals(self, args: Any) -> bool:
        left, right = (self.resolve(arg) for arg in args)
        return bool(str(left) == str(right))

    def _find_in_map(self, args: Any) -> Any:
        map_name, top_key, second_key = (self.resolve(arg) for arg in args[:3])
        try:
            return self._mappings[map_name][top_key][second_key]
        except KeyError as error:
            raise TemplateError(
                f"Fn::FindInMap found no {map_name}.{top_key}.{second_key}"
            ) from error
