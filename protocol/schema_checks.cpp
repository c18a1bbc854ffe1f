#include "protocol/schema_checks.hpp"

#include <rapidjson/internal/regex.h>
#include <rapidjson/pointer.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>

#include <memory>
#include <set>
#include <string>
#include <string_view>

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

// A conservative parse of RapidJSON 1.1.0's regex grammar that rejects what
// its engine cannot survive: an unbounded repeat (`*`, `+`, `{n,}`) of
// something that can match the empty string (`(a*)*`, `a?+`) loops forever
// in Search(), and unbalanced groups trip assertions. Returns false then.
class regex_guard {
public:
  explicit regex_guard(std::string_view p) : p_(p) {}

  bool ok() { return alternation(nullable_, 0) && i_ == p_.size(); }

  /// After ok(): the pattern can match the empty string.
  bool nullable() const { return nullable_; }

private:
  bool alternation(bool& nullable, int depth) {
    if (depth > 32)
      return false;
    bool branch = false;
    if (!sequence(branch, depth))
      return false;
    nullable = branch;
    while (i_ < p_.size() && p_[i_] == '|') {
      ++i_;
      if (!sequence(branch, depth))
        return false;
      nullable = nullable || branch;
    }
    return true;
  }

  bool sequence(bool& nullable, int depth) {
    nullable = true;
    while (i_ < p_.size() && p_[i_] != '|' && p_[i_] != ')') {
      bool atom_nullable = false;
      if (!atom(atom_nullable, depth))
        return false;
      while (i_ < p_.size() && is_quantifier(p_[i_])) {
        bool unbounded = false, may_be_zero = false;
        if (!quantifier(unbounded, may_be_zero))
          return false;
        if (unbounded && atom_nullable)
          return false;
        atom_nullable = atom_nullable || may_be_zero;
      }
      nullable = nullable && atom_nullable;
    }
    return true;
  }

  bool atom(bool& nullable, int depth) {
    char c = p_[i_++];
    switch (c) {
    case '(': {
      if (!alternation(nullable, depth + 1) || i_ >= p_.size() || p_[i_] != ')')
        return false;
      ++i_;
      return true;
    }
    case '^':
    case '$':
      nullable = true;
      return true;
    case '*':
    case '+':
    case '?':
    case '{':
      return false; // nothing to repeat
    case '\\':
      if (i_ >= p_.size())
        return false;
      ++i_;
      return true;
    case '[':
      while (i_ < p_.size() && p_[i_] != ']')
        i_ += p_[i_] == '\\' ? 2 : 1;
      if (i_ >= p_.size())
        return false;
      ++i_;
      return true;
    default:
      return true;
    }
  }

  static bool is_quantifier(char c) {
    return c == '*' || c == '+' || c == '?' || c == '{';
  }

  bool quantifier(bool& unbounded, bool& may_be_zero) {
    char c = p_[i_++];
    if (c != '{') {
      unbounded = c != '?';
      may_be_zero = c != '+';
      return true;
    }
    auto close = p_.find('}', i_);
    if (close == std::string_view::npos)
      return false;
    auto body = p_.substr(i_, close - i_);
    i_ = close + 1;
    auto comma = body.find(',');
    may_be_zero = body.empty() || body.front() == '0';
    unbounded = comma != std::string_view::npos && comma + 1 == body.size();
    return true;
  }

  std::string_view p_;
  std::size_t i_ = 0;
  bool nullable_ = false;
};

enum class regex_kind { usable, unsupported, matches_all };

// RapidJSON's Search() also misses empty matches ("a*" fails on "x"), so a
// pattern that can match empty and is not anchored at both ends, which
// matches every string, is reported as such.
regex_kind classify(const rapidjson::Value& s) {
  std::string_view text{s.GetString(), s.GetStringLength()};
  regex_guard guard{text};
  if (text.find('\0') != std::string_view::npos || !guard.ok())
    return regex_kind::unsupported;
  rapidjson::internal::GenericRegex<rapidjson::UTF8<>> re{s.GetString()};
  if (!re.IsValid())
    return regex_kind::unsupported;
  bool anchored = text.size() >= 2 && text.front() == '^' && text.back() == '$'
                  && text[text.size() - 2] != '\\';
  return guard.nullable() && !anchored ? regex_kind::matches_all
                                       : regex_kind::usable;
}

// Walks every object and array as RapidJSON's schema compiler does (it
// treats each nested object as a potential schema).
class walker {
public:
  explicit walker(const rapidjson::Document& root) : root_(root) {}

  status walk(rapidjson::Value& v) {
    if (v.IsArray()) {
      for (auto& e : v.GetArray())
        if (auto ok = walk(e); !ok)
          return ok;
      return {};
    }
    if (!v.IsObject())
      return {};
    if (auto ok = check_ref(v); !ok)
      return ok;
    bool drop_pattern = false;
    for (auto& m : v.GetObject()) {
      std::string_view key{m.name.GetString(), m.name.GetStringLength()};
      if (key == "pattern" && m.value.IsString()) {
        auto kind = classify(m.value);
        if (kind == regex_kind::unsupported)
          return invalid("pattern '" + std::string(m.value.GetString())
                         + "' is not supported by the regex engine");
        // A pattern matching every string constrains nothing.
        drop_pattern = kind == regex_kind::matches_all;
        has_regex = has_regex || !drop_pattern;
      } else if (key == "patternProperties" && m.value.IsObject()) {
        has_regex = true;
        for (const auto& p : m.value.GetObject())
          if (classify(p.name) != regex_kind::usable)
            return invalid("patternProperties '"
                           + std::string(p.name.GetString())
                           + "' is not supported by the regex engine");
      }
      if (auto ok = walk(m.value); !ok)
        return ok;
    }
    if (drop_pattern)
      v.RemoveMember("pattern");
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

result<bool> check_schema(rapidjson::Document& schema) {
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
