#include "protocol/schema_checks.hpp"

#include <rapidjson/internal/regex.h>
#include <rapidjson/pointer.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>

#include <memory>
#include <set>
#include <string>

namespace rxon::schema_detail {

namespace {

// The draft-04 meta-schema, except that `required` may be empty (the
// reference's schema extraction emits `"required": []`, and draft-06 made
// it legal).
constexpr const char* meta_schema_text = R"({
  "definitions": {
    "schemaArray": {"type": "array", "minItems": 1, "items": {"$ref": "#"}},
    "positiveInteger": {"type": "integer", "minimum": 0},
    "positiveIntegerDefault0": {
      "allOf": [{"$ref": "#/definitions/positiveInteger"}, {"default": 0}]},
    "simpleTypes": {"enum": ["array", "boolean", "integer", "null", "number",
                             "object", "string"]},
    "stringArray": {"type": "array", "items": {"type": "string"},
                    "uniqueItems": true}
  },
  "type": "object",
  "properties": {
    "id": {"type": "string"},
    "$schema": {"type": "string"},
    "title": {"type": "string"},
    "description": {"type": "string"},
    "default": {},
    "multipleOf": {"type": "number", "minimum": 0, "exclusiveMinimum": true},
    "maximum": {"type": "number"},
    "exclusiveMaximum": {"type": "boolean", "default": false},
    "minimum": {"type": "number"},
    "exclusiveMinimum": {"type": "boolean", "default": false},
    "maxLength": {"$ref": "#/definitions/positiveInteger"},
    "minLength": {"$ref": "#/definitions/positiveIntegerDefault0"},
    "pattern": {"type": "string", "format": "regex"},
    "additionalItems": {"anyOf": [{"type": "boolean"}, {"$ref": "#"}]},
    "items": {"anyOf": [{"$ref": "#"}, {"$ref": "#/definitions/schemaArray"}]},
    "maxItems": {"$ref": "#/definitions/positiveInteger"},
    "minItems": {"$ref": "#/definitions/positiveIntegerDefault0"},
    "uniqueItems": {"type": "boolean", "default": false},
    "maxProperties": {"$ref": "#/definitions/positiveInteger"},
    "minProperties": {"$ref": "#/definitions/positiveIntegerDefault0"},
    "required": {"$ref": "#/definitions/stringArray"},
    "additionalProperties": {"anyOf": [{"type": "boolean"}, {"$ref": "#"}]},
    "definitions": {"type": "object", "additionalProperties": {"$ref": "#"}},
    "properties": {"type": "object", "additionalProperties": {"$ref": "#"}},
    "patternProperties": {"type": "object",
                          "additionalProperties": {"$ref": "#"}},
    "dependencies": {"type": "object", "additionalProperties": {
      "anyOf": [{"$ref": "#"}, {"$ref": "#/definitions/stringArray"}]}},
    "enum": {"type": "array", "minItems": 1, "uniqueItems": true},
    "type": {"anyOf": [
      {"$ref": "#/definitions/simpleTypes"},
      {"type": "array", "items": {"$ref": "#/definitions/simpleTypes"},
       "minItems": 1, "uniqueItems": true}]},
    "format": {"type": "string"},
    "allOf": {"$ref": "#/definitions/schemaArray"},
    "anyOf": {"$ref": "#/definitions/schemaArray"},
    "oneOf": {"$ref": "#/definitions/schemaArray"},
    "not": {"$ref": "#"}
  },
  "dependencies": {
    "exclusiveMaximum": ["maximum"],
    "exclusiveMinimum": ["minimum"]
  }
})";

struct meta {
  rapidjson::Document source;
  std::unique_ptr<rapidjson::SchemaDocument> doc;
  meta() {
    source.Parse(meta_schema_text);
    doc = std::make_unique<rapidjson::SchemaDocument>(source);
  }
};

const rapidjson::SchemaDocument& meta_schema() {
  static const meta m; // no patterns inside: safe to share across threads
  return *m.doc;
}

template <class Pointer>
std::string fragment(const Pointer& p) {
  rapidjson::StringBuffer sb;
  p.StringifyUriFragment(sb);
  return {sb.GetString(), sb.GetSize()};
}

error invalid(std::string msg) {
  return error{errc::invalid_value, "schema: " + std::move(msg)};
}

bool pattern_compiles(const rapidjson::Value& s) {
  rapidjson::internal::GenericRegex<rapidjson::UTF8<>> re{s.GetString()};
  return re.IsValid();
}

// Walks every object and array as RapidJSON's schema compiler does (it
// treats each nested object as a potential schema).
class walker {
public:
  explicit walker(const rapidjson::Document& root) : root_(root) {}

  status walk(const rapidjson::Value& v) {
    if (v.IsArray()) {
      for (const auto& e : v.GetArray())
        if (auto ok = walk(e); !ok)
          return ok;
      return {};
    }
    if (!v.IsObject())
      return {};
    if (auto ok = check_ref(v); !ok)
      return ok;
    for (const auto& m : v.GetObject()) {
      std::string_view key{m.name.GetString(), m.name.GetStringLength()};
      if (key == "pattern" && m.value.IsString()) {
        has_regex = true;
        if (!pattern_compiles(m.value))
          return invalid("pattern '" + std::string(m.value.GetString())
                         + "' is not supported by the regex engine");
      } else if (key == "patternProperties" && m.value.IsObject()) {
        has_regex = true;
        for (const auto& p : m.value.GetObject())
          if (!pattern_compiles(p.name))
            return invalid("patternProperties '"
                           + std::string(p.name.GetString())
                           + "' is not supported by the regex engine");
      }
      if (auto ok = walk(m.value); !ok)
        return ok;
    }
    return {};
  }

  bool has_regex = false;

private:
  // A `$ref` must be a local JSON pointer that resolves, and a chain of
  // `$ref`s must end in a real schema (RapidJSON recurses forever on loops).
  status check_ref(const rapidjson::Value& v) {
    std::set<std::string> seen;
    const rapidjson::Value* cur = &v;
    for (;;) {
      auto it = cur->FindMember("$ref");
      if (it == cur->MemberEnd() || !it->value.IsString())
        return {};
      std::string ref{it->value.GetString(), it->value.GetStringLength()};
      if (ref.empty() || ref.front() != '#')
        return invalid("$ref '" + ref + "' is not local (only '#...')");
      rapidjson::Pointer p{ref.data(), ref.size()};
      if (!p.IsValid())
        return invalid("$ref '" + ref + "' is not a valid JSON pointer");
      const rapidjson::Value* target = p.Get(root_);
      if (!target)
        return invalid("$ref '" + ref + "' does not resolve");
      if (!seen.insert(ref).second)
        return invalid("$ref '" + ref + "' refers to itself in a loop");
      if (!target->IsObject())
        return invalid("$ref '" + ref + "' does not point to a schema");
      cur = target;
    }
  }

  const rapidjson::Document& root_;
};

} // namespace

result<bool> check_schema(const rapidjson::Document& schema) {
  rapidjson::SchemaValidator v{meta_schema()};
  if (!schema.Accept(v))
    return invalid("not valid draft-04 at "
                   + fragment(v.GetInvalidDocumentPointer()) + ": fails '"
                   + v.GetInvalidSchemaKeyword() + "' (meta-schema "
                   + fragment(v.GetInvalidSchemaPointer()) + ")");
  walker w{schema};
  if (auto ok = w.walk(schema); !ok)
    return ok.error();
  return w.has_regex;
}

} // namespace rxon::schema_detail
