#include "protocol/skill_contract.hpp"

#include "protocol/schema_checks.hpp"

#include <rapidjson/document.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>

#include <limits>

namespace rxon::schema_detail {

// A distinct allocator type makes our schema document a distinct template
// instance, so the Key() fix below applies to our validators only.
struct schema_allocator : rapidjson::CrtAllocator {};

using schema_document
    = rapidjson::GenericSchemaDocument<rapidjson::Value, schema_allocator>;
using schema_validator = rapidjson::GenericSchemaValidator<
    schema_document, rapidjson::BaseReaderHandler<rapidjson::UTF8<>, void>,
    schema_allocator>;

} // namespace rxon::schema_detail

namespace rapidjson::internal {

// RapidJSON 1.1.0's Schema::Key mishandles `patternProperties` next to
// `properties`/`additionalProperties`: a key matching only a pattern under
// `additionalProperties: false` leaves no value schema (a crash), a schema
// `additionalProperties` is ORed with the patterns (it must not apply at
// all), and the previous key's state leaks into the next. This is the
// standard rule: a key in `properties` must pass its schema and every
// matching pattern; a key matching patterns only must pass them; any other
// key is checked by `additionalProperties`.
template <>
bool Schema<rxon::schema_detail::schema_document>::Key(Context& context,
                                                       const Ch* str,
                                                       SizeType len,
                                                       bool) const {
  context.valueSchema = nullptr;
  context.valuePatternValidatorType = Context::kPatternValidatorOnly;
  context.patternPropertiesSchemaCount = 0;
  if (patternProperties_) {
    for (SizeType i = 0; i < patternPropertyCount_; i++)
      if (patternProperties_[i].pattern
          && IsPatternMatch(patternProperties_[i].pattern, str, len))
        context.patternPropertiesSchemas[context.patternPropertiesSchemaCount++]
            = patternProperties_[i].schema;
  }
  bool patterns = context.patternPropertiesSchemaCount > 0;

  SizeType index;
  if (FindPropertyIndex(ValueType(str, len).Move(), &index)) {
    if (patterns) {
      // The property schema goes last: EndValue() requires all to pass.
      context.patternPropertiesSchemas[context.patternPropertiesSchemaCount++]
          = properties_[index].schema;
      context.valueSchema = GetTypeless();
      context.valuePatternValidatorType
          = Context::kPatternValidatorWithProperty;
    } else {
      context.valueSchema = properties_[index].schema;
    }
    if (context.propertyExist)
      context.propertyExist[index] = true;
    return true;
  }
  if (patterns) {
    context.valueSchema = GetTypeless();
    return true;
  }
  if (additionalPropertiesSchema_) {
    context.valueSchema = additionalPropertiesSchema_;
    return true;
  }
  if (additionalProperties_) {
    context.valueSchema = GetTypeless();
    return true;
  }
  RAPIDJSON_INVALID_KEYWORD_RETURN(GetAdditionalPropertiesString());
}

} // namespace rapidjson::internal

namespace rxon {

using schema_detail::schema_document;
using schema_detail::schema_validator;

class compiled_schema {
public:
  bool accepts_all = false;
  /// RapidJSON's regex keeps match state inside the compiled pattern, so
  /// schemas with patterns are validated one thread at a time.
  bool has_regex = false;
  mutable std::mutex regex_mtx;
  rapidjson::Document source; ///< outlives `doc`, which points into it
  std::unique_ptr<schema_document> doc;
};

namespace {

constexpr int max_data_depth = 1000;

// Feeds a DOM value as SAX events, as rapidjson::Document::Accept would.
bool feed(schema_validator& v, const json::value& x, int depth) {
  using k = json::value::kind;
  if (depth > max_data_depth)
    return false;
  switch (x.type()) {
  case k::null:
    return v.Null();
  case k::boolean:
    return v.Bool(x.as_bool());
  case k::integer: {
    auto i = x.as_int();
    if (i >= std::numeric_limits<int>::min()
        && i <= std::numeric_limits<int>::max())
      return v.Int(static_cast<int>(i));
    if (i >= 0 && i <= std::numeric_limits<unsigned>::max())
      return v.Uint(static_cast<unsigned>(i));
    return v.Int64(i);
  }
  case k::uinteger:
    return v.Uint64(x.as_uint());
  case k::number:
    return v.Double(x.as_double());
  case k::string: {
    const auto& s = x.as_string();
    return v.String(s.data(), static_cast<rapidjson::SizeType>(s.size()),
                    false);
  }
  case k::array: {
    if (!v.StartArray())
      return false;
    for (const auto& e : x.as_array())
      if (!feed(v, e, depth + 1))
        return false;
    return v.EndArray(static_cast<rapidjson::SizeType>(x.as_array().size()));
  }
  case k::object: {
    if (!v.StartObject())
      return false;
    for (const auto& m : x.as_object()) {
      if (!v.Key(m.key.data(), static_cast<rapidjson::SizeType>(m.key.size()),
                 false)
          || !feed(v, m.val, depth + 1))
        return false;
    }
    return v.EndObject(static_cast<rapidjson::SizeType>(x.as_object().size()));
  }
  }
  return false;
}

template <class Pointer>
std::string fragment(const Pointer& p) {
  rapidjson::StringBuffer sb;
  p.StringifyUriFragment(sb);
  return {sb.GetString(), sb.GetSize()};
}

std::shared_ptr<const compiled_schema> accept_all() {
  static const auto all = [] {
    auto s = std::make_shared<compiled_schema>();
    s->accepts_all = true;
    return std::shared_ptr<const compiled_schema>(std::move(s));
  }();
  return all;
}

} // namespace

result<std::shared_ptr<const compiled_schema>>
compile_schema(const json::value& schema) {
  if (schema.is_null() || (schema.is_object() && schema.as_object().empty()))
    return accept_all();
  if (!schema.is_object())
    return error{errc::invalid_value, "schema: must be a JSON object"};
  if (auto ok = json::check_encodable(schema); !ok)
    return error{errc::invalid_value, "schema: " + ok.error().message};
  auto out = std::make_shared<compiled_schema>();
  auto text = json::to_string(schema);
  out->source.Parse(text.data(), text.size());
  if (out->source.HasParseError())
    return error{errc::invalid_value, "schema: not valid JSON"};
  auto checked = schema_detail::check_schema(out->source);
  if (!checked)
    return std::move(checked).error();
  out->has_regex = *checked;
  out->doc = std::make_unique<schema_document>(out->source);
  return std::shared_ptr<const compiled_schema>(std::move(out));
}

status validate(const compiled_schema& schema, const json::value& data) {
  if (schema.accepts_all)
    return {};
  std::unique_lock<std::mutex> lock{schema.regex_mtx, std::defer_lock};
  if (schema.has_regex)
    lock.lock();
  schema_validator v{*schema.doc};
  if (feed(v, data, 0) && v.IsValid())
    return {};
  if (v.IsValid()) // feeding stopped without a verdict: too deep
    return error{errc::too_deep,
                 "data nested deeper than " + std::to_string(max_data_depth)};
  return error{errc::invalid_value,
               fragment(v.GetInvalidDocumentPointer()) + ": fails '"
                   + v.GetInvalidSchemaKeyword() + "' (schema "
                   + fragment(v.GetInvalidSchemaPointer()) + ")"};
}

// -- schema_cache -------------------------------------------------------------

result<std::shared_ptr<const compiled_schema>>
schema_cache::compile(const json::value& schema) {
  if (schema.is_null() || (schema.is_object() && schema.as_object().empty()))
    return accept_all();
  auto key = json::to_string(schema);
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (auto i = map_.find(key); i != map_.end()) {
      lru_.splice(lru_.begin(), lru_, i->second.pos);
      return i->second.schema;
    }
  }
  // Compile outside the lock; two threads may race to compile the same
  // schema, and the first one stored wins.
  auto compiled = compile_schema(schema);
  if (!compiled)
    return compiled;
  std::lock_guard<std::mutex> guard{mtx_};
  ++compilations_;
  if (auto i = map_.find(key); i != map_.end())
    return i->second.schema;
  if (capacity_ == 0)
    return compiled;
  while (map_.size() >= capacity_) {
    map_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.push_front(key);
  map_.emplace(std::move(key), entry{*compiled, lru_.begin()});
  return compiled;
}

std::size_t schema_cache::compilations() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return compilations_;
}

std::size_t schema_cache::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return map_.size();
}

} // namespace rxon
