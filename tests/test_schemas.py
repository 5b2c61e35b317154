"""The shared schemas load from the installed package, are valid, and ship inside the wheel.

`schemas/ossit_schemas` is the single source of the record shapes and of the API's constants:
the tap's catalog, the target's validation, the sandbox's answers and the OpenAPI document all
derive from it. These tests keep the copies in the OpenAPI document from drifting away from the
record schemas, and the constants of `ossit_schemas.contract` from what the document states.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from importlib.resources import files
from pathlib import Path
from typing import Any

import ossit_schemas
import pytest
import schemathesis
from jsonschema import Draft202012Validator, ValidationError

SCHEMAS_PROJECT = Path(__file__).resolve().parents[1] / "schemas"
PACKAGE_FILES = (
    "__init__.py",
    "_documents.py",
    "contract.py",
    "kinds.py",
    "common.schema.json",
    *(f"{name}.schema.json" for name in ossit_schemas.RECORD_TYPES),
    "ossit-api.yaml",
)
# The OpenAPI component holding each record type's copy.
COMPONENT_OF = {
    "statistic_groups": "StatisticGroup",
    "statistics": "Statistic",
    "points": "Point",
    "intervals": "Interval",
}
ERROR_STATUSES = ("400", "401", "402", "403", "404", "409", "410", "422", "429", "500", "503")
HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], list[dict]]]:
    """(path, method, operation, resolved parameters) of every operation of the document."""
    out = []
    for path, item in doc["paths"].items():
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            if method in item:
                operation = item[method]
                params = [_resolve(doc, p) for p in [*shared, *operation.get("parameters", [])]]
                out.append((path, method, operation, params))
    return out


def _resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `#/...` reference (and only those: the document must be self-contained)."""
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"non-local reference {ref}"
        target: Any = doc
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return ossit_schemas.openapi()


@pytest.mark.parametrize("name", ossit_schemas.RECORD_TYPES)
def test_record_schema_is_valid_and_self_contained(name: str) -> None:
    raw = json.loads(files("ossit_schemas").joinpath(f"{name}.schema.json").read_text())
    Draft202012Validator.check_schema(raw)
    schema = ossit_schemas.record_schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object"
    assert {"id", "created_at", "updated_at", "deleted_at"} <= set(schema["properties"])
    assert "$ref" not in json.dumps(schema), "record_schema() must inline every reference"


def test_record_schema_returns_a_copy() -> None:
    ossit_schemas.record_schema("points")["properties"].clear()
    assert ossit_schemas.record_schema("points")["properties"]


def test_unknown_record_type_is_refused() -> None:
    with pytest.raises(KeyError, match="unknown Ossit record type"):
        ossit_schemas.record_schema("nope")


def test_common_definitions_are_valid() -> None:
    common = json.loads(files("ossit_schemas").joinpath("common.schema.json").read_text())
    Draft202012Validator.check_schema(common)


def test_openapi_is_valid_openapi_3_1(doc: dict[str, Any]) -> None:
    assert re.fullmatch(r"3\.1\.\d+", doc["openapi"])
    # Raises jsonschema_rs.ValidationError when the document breaks the OpenAPI 3.1 schema.
    schemathesis.openapi.from_dict(doc).validate()
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_openapi_references_all_resolve_locally(doc: dict[str, Any]) -> None:
    refs = _refs(doc)
    assert refs
    for ref in refs:
        _resolve(doc, {"$ref": ref})


@pytest.mark.parametrize("name", ossit_schemas.RECORD_TYPES)
def test_openapi_record_components_equal_the_record_schemas(doc: dict[str, Any], name: str) -> None:
    assert doc["components"]["schemas"][COMPONENT_OF[name]] == ossit_schemas.record_schema(name)


def test_openapi_operations_follow_the_common_rules(doc: dict[str, Any]) -> None:
    operations = _operations(doc)
    assert len(operations) >= 26
    for path, method, operation, params in operations:
        where = f"{method.upper()} {path}"
        assert path.startswith("/v1/api/"), where
        declared = {p["name"] for p in params if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), where
        responses = operation["responses"]
        assert any(code.startswith("2") for code in responses), where
        for code in ERROR_STATUSES:
            error = _resolve(doc, responses[code])
            body = error["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/Error"}, where
        assert "Retry-After" in _resolve(doc, responses["429"])["headers"], where
        for code, response in responses.items():
            if code.startswith("2"):
                assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(
                    response["headers"]
                ), where
        names = {p["name"] for p in params}
        assert ("Idempotency-Key" in names) == (method == "post"), where
        if any(p["name"] == "cursor" for p in params):
            limit = next(p for p in params if p["name"] == "limit")["schema"]
            assert (limit["minimum"], limit["maximum"], limit["default"]) == (
                1, ossit_schemas.PAGE_SIZE_MAX, ossit_schemas.PAGE_SIZE_DEFAULT
            )  # fmt: skip
            assert {"updated_since", "include_deleted"} <= names, where


def _validate_in(doc: dict[str, Any], schema: dict[str, Any], instance: Any) -> None:
    """Validate against a schema of the document, its `#/components/...` references resolved."""
    root = {**doc, **schema}  # keywords the schema does not use are ignored, refs resolve in doc
    validator = Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)
    validator.validate(instance)


def test_openapi_examples_are_valid(doc: dict[str, Any]) -> None:
    checked = 0
    for path, method, operation, params in _operations(doc):
        for param in params:
            if "example" in param:
                _validate_in(doc, param["schema"], param["example"])
                checked += 1
        if "requestBody" in operation:
            media = _resolve(doc, operation["requestBody"])["content"]["application/json"]
            assert "example" in media, f"{method.upper()} {path} has no request example"
            _validate_in(doc, media["schema"], media["example"])
            checked += 1
    assert checked >= 20


def test_openapi_example_validation_can_fail(doc: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        _validate_in(doc, {"$ref": "#/components/schemas/PointBatch"}, {"points": [{}]})


def test_openapi_covers_every_path_of_the_contract(doc: dict[str, Any]) -> None:
    expected = {
        "/v1/api/statistic-groups": {"get", "post"},
        "/v1/api/statistic-groups/{group}": {"get", "post", "put", "delete"},
        "/v1/api/statistics": {"get", "post"},
        "/v1/api/statistics/{group}/{statistic}": {"get", "post", "put", "delete"},
        "/v1/api/statistics/{group}/{statistic}/points": {"get"},
        "/v1/api/points": {"get"},
        "/v1/api/points/batch": {"post"},
        "/v1/api/intervals": {"get", "post"},
        "/v1/api/intervals/{id}": {"get", "put", "delete"},
        "/v1/api/intervals/batch": {"post"},
        "/v1/api/domains": {"get", "post"},
        "/v1/api/domains/{domain_key}": {"get", "post", "delete"},
    }
    actual = {
        path: {method for method in HTTP_METHODS if method in item}
        for path, item in doc["paths"].items()
    }
    assert actual == expected
    assert not any(path.startswith("/_sandbox") for path in doc["paths"])


def _properties_named(node: Any, name: str) -> list[dict[str, Any]]:
    """The schema of every property called ``name`` anywhere under ``node``."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict) and isinstance(properties.get(name), dict):
            found.append(properties[name])
        for value in node.values():
            found.extend(_properties_named(value, name))
    elif isinstance(node, list):
        for item in node:
            found.extend(_properties_named(item, name))
    return found


def test_interval_types_are_the_documents(doc: dict[str, Any]) -> None:
    enums = [prop["enum"] for prop in _properties_named(doc, "type") if "enum" in prop]
    enums.append(doc["components"]["parameters"]["type_filter"]["schema"]["enum"])
    assert len(enums) >= 5
    for enum in enums:
        assert tuple(enum) == ossit_schemas.INTERVAL_TYPES


def test_point_methods_are_the_documents(doc: dict[str, Any]) -> None:
    methods = _properties_named(doc, "method")
    full = [prop for prop in methods if "default" in prop]
    without_value = [prop for prop in methods if "default" not in prop]
    assert len(full) >= 2 and len(without_value) >= 2
    for prop in full:
        assert tuple(prop["enum"]) == ossit_schemas.POINT_METHODS
        assert prop["default"] == ossit_schemas.DEFAULT_POINT_METHOD
    for prop in without_value:  # the anyOf branch that needs no value
        needs_none = set(ossit_schemas.POINT_METHODS) - ossit_schemas.POINT_METHODS_WITH_VALUE
        assert set(prop["enum"]) == needs_none
    methods = set(ossit_schemas.POINT_METHODS)
    assert methods > ossit_schemas.POINT_METHODS_WITH_VALUE
    assert methods - {"set"} == ossit_schemas.NON_IDEMPOTENT_POINT_METHODS  # set twice: same day


def test_limits_are_the_documents(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    for batch, field in (("PointBatch", "points"), ("IntervalBatch", "intervals")):
        assert schemas[batch]["properties"][field]["maxItems"] == ossit_schemas.BATCH_SIZE_MAX
    limit = doc["components"]["parameters"]["limit"]["schema"]
    assert limit["maximum"] == ossit_schemas.PAGE_SIZE_MAX
    assert limit["default"] == ossit_schemas.PAGE_SIZE_DEFAULT
    assert schemas["Name"]["maxLength"] == ossit_schemas.NAME_MAX_LENGTH
    for metadata in _properties_named(doc, "metadata"):
        if "description" in metadata:
            depth = f"nested at most {ossit_schemas.METADATA_MAX_DEPTH} levels deep"
            assert depth in metadata["description"]


def test_the_documents_prose_states_the_same_numbers(doc: dict[str, Any]) -> None:
    prose = " ".join(doc["info"]["description"].split())
    assert ossit_schemas.REQUEST_BODY_MAX_BYTES == 64 * 1024 * 1024
    assert "request body over 64 MiB" in prose
    assert ossit_schemas.RATE_LIMIT_WINDOW_SECONDS == 3600
    assert f"{ossit_schemas.RATE_LIMIT_DEFAULT} requests per rolling hour" in prose
    assert ossit_schemas.IDEMPOTENCY_TTL_SECONDS == 24 * 3600
    assert "within 24 hours" in prose
    assert f"At most {ossit_schemas.IDEMPOTENCY_ANSWERS_KEPT:,} answers are kept" in prose
    prefixes = ", ".join(f"`{prefix}`" for prefix in ossit_schemas.ID_PREFIXES.values())
    assert f"({prefixes})" in prose
    assert f"(at most {ossit_schemas.ID_MAX_DIGITS} digits)" in prose


def _ecma(pattern: str) -> re.Pattern[str]:
    """A JSON Schema pattern as Python reads it (``$`` must not match before a final newline)."""
    return re.compile(pattern.replace("$", r"\Z"))


IDS_AND_NOT = [
    "int_1", "int_12", "int_" + "9" * 18, "int_" + "1" * 19, "int_0", "int_012", "int_+1",
    "int_ 1", "int_1\n", "int_", "INT_1", "grp_1", "int_\u0661", "int_1x",
]  # fmt: skip


def test_id_rules_are_the_documents(doc: dict[str, Any]) -> None:
    item = doc["components"]["schemas"]["IntervalBatch"]["properties"]["intervals"]["items"]
    pattern = _ecma(item["properties"]["id"]["pattern"])
    for text in IDS_AND_NOT:
        assert ossit_schemas.is_id("intervals", text) == bool(pattern.search(text)), text
    assert ossit_schemas.parse_id("intervals", "int_12") == 12
    assert set(ossit_schemas.ID_PREFIXES) == set(ossit_schemas.RECORD_TYPES)
    with pytest.raises(KeyError):
        ossit_schemas.is_id("domains", "dk_1")


NAMES = [
    "a", "Website Traffic", "a b", "50%", "q?x=1", "é", "📈", "...", "grp_", "grp_1x", "x" * 255,
    "", "x" * 256, "a/b", "/", ".", "..", "a\x00b", "tab\there", "line\n", "\x7f", "grp_1",
    "stat_007", "pt_0", "int_" + "9" * 30, "Grp_1",
]  # fmt: skip


def test_name_rules_are_the_documents(doc: dict[str, Any]) -> None:
    name = doc["components"]["schemas"]["Name"]
    pattern = _ecma(name["pattern"])
    for text in NAMES:
        allowed = name["minLength"] <= len(text) <= name["maxLength"] and bool(pattern.search(text))
        assert (ossit_schemas.name_problem(text) is None) == allowed, text


def test_name_problems_say_why() -> None:
    assert ossit_schemas.name_problem("Website") is None
    assert "at most 255 characters" in str(ossit_schemas.name_problem("x" * 256))
    assert "'/'" in str(ossit_schemas.name_problem("a/b"))
    assert "'.' or '..'" in str(ossit_schemas.name_problem(".."))
    assert "control characters" in str(ossit_schemas.name_problem("a\tb"))
    why = str(ossit_schemas.name_problem("stat_007"))
    assert "form of an id (grp_, stat_, pt_ or int_ followed by digits)" in why
    assert ossit_schemas.has_id_form("stat_007")
    assert not ossit_schemas.is_id("statistics", "stat_007")


def test_record_fields_follow_the_schemas() -> None:
    for name in ossit_schemas.RECORD_TYPES:
        assert ossit_schemas.record_fields(name) == tuple(
            ossit_schemas.record_schema(name)["properties"]
        )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    uv = os.environ.get("UV", "uv")  # `uv run` names its own binary in $UV
    subprocess.run(
        [uv, "build", "--wheel", str(SCHEMAS_PROJECT), "-o", str(out)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("ossit_schemas-*.whl")
    return built


def test_wheel_contains_every_schema_file(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {f"ossit_schemas/{name}" for name in PACKAGE_FILES} <= names


def test_schemas_load_from_the_unpacked_wheel(wheel: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path)
    probe = (
        "import ossit_schemas as o, pathlib, sys; "
        "assert pathlib.Path(o.__file__).parent.parent == pathlib.Path(sys.argv[1]), o.__file__; "
        "print(sorted(o.record_schema(n)['title'] for n in o.RECORD_TYPES), o.openapi()['openapi'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)],
        env={"PYTHONPATH": str(tmp_path)},
        check=True,
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip().endswith("3.1.0")
    assert "'series point'" in result.stdout


def test_every_list_of_kinds_is_the_declaration(doc: dict[str, Any], tmp_path: Path) -> None:
    """Streams, sinks, client resources, batch kinds and paths are made from ``KINDS``."""
    from ossit_client import OssitClient
    from ossit_client.resources import RESOURCES
    from ossit_sync.loading.writes import BATCH_KINDS
    from tap_ossit.streams import STREAMS
    from target_ossit.sinks import SINKS

    kinds = ossit_schemas.KINDS
    assert tuple(kinds) == ossit_schemas.RECORD_TYPES
    assert [stream.name for stream in STREAMS] == list(kinds)
    assert {name: sink.kind for name, sink in SINKS.items()} == {name: name for name in kinds}
    assert {name: resource.kind for name, resource in RESOURCES.items()} == kinds
    assert {name for name, kind in kinds.items() if kind.batch_endpoint} == BATCH_KINDS
    client = OssitClient("k" * 32, base_url="http://127.0.0.1:9", state_dir=str(tmp_path))
    with client:
        assert all(isinstance(getattr(client, name), RESOURCES[name]) for name in kinds)
    paths = doc["paths"]
    for name, kind in kinds.items():
        assert "get" in paths[f"/v1/api{kind.path}"], name
        listed = paths[f"/v1/api{kind.path}"]["get"]["parameters"]
        parameters = [_resolve(doc, parameter)["name"] for parameter in listed]
        declared = [*kind.filters, *ossit_schemas.LIST_FILTERS, "cursor"]
        assert sorted(parameters) == sorted(declared), name
        if kind.batch_endpoint:
            assert "post" in paths[f"/v1/api{kind.batch_endpoint}"], name
        assert set(kind.natural_key) <= set(ossit_schemas.record_fields(name)), name
        assert kind.parent is None or kind.parent in kinds, name


def test_a_kind_declared_before_its_parent_is_refused() -> None:
    from ossit_schemas.kinds import Kind, _parents_first

    child = Kind("points", "/points", ("name",), None, "statistics", (), "Points")
    parent = Kind("statistics", "/statistics", ("name",), None, None, (), "Statistics")
    with pytest.raises(ValueError, match="declare its parent 'statistics' before it"):
        _parents_first({"points": child, "statistics": parent})
    assert _parents_first({"statistics": parent, "points": child}) == ("statistics", "points")
