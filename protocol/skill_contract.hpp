#pragma once

// Skill contracts: task params against a skill's `input_schema`, results
// against its `output_schema`. Standard JSON Schema with draft-04 semantics
// as RapidJSON 1.1.0 validates it (spec/decisions.md), not the reference's
// quirky subset (spec §6.1). Schemas are compiled once and cached; data is
// fed to the validator as SAX events straight from our DOM.
//
// Differences from plain RapidJSON 1.1.0, all on purpose:
// - a schema must itself be valid draft-04 (checked against the meta-schema,
//   with `required: []` allowed as the reference emits it); every `$ref`
//   must be local and resolvable and no `$ref` chain may loop; every
//   `pattern` must compile. RapidJSON would otherwise ignore such parts
//   silently, loop forever or crash.
// - `patternProperties` combined with `properties`/`additionalProperties`
//   follows the standard (1.1.0 crashes or ORs the schemas); see
//   skill_contract.cpp.
// - Floats stay floats: `1.0` is not an "integer" (draft-04 as RapidJSON).

#include "protocol/error.hpp"
#include "protocol/json.hpp"

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace rxon {

/// A schema ready for validation; immutable and shareable across threads.
class compiled_schema;

/// Compiles schemas once, keyed by their canonical JSON text, and keeps at
/// most `capacity` of them (least recently used ones are dropped). Safe to
/// use from several threads; validation never holds the cache lock.
class schema_cache {
public:
  explicit schema_cache(std::size_t capacity = 256) : capacity_(capacity) {}

  /// Returns the compiled form of `schema`; errc::invalid_value naming the
  /// problem when `schema` is not a usable JSON Schema. Null or `{}` gives
  /// a schema that accepts everything.
  result<std::shared_ptr<const compiled_schema>>
  compile(const json::value& schema);

  /// Number of compilations performed (cache misses), for tests and stats.
  std::size_t compilations() const;
  std::size_t size() const;

private:
  using lru_list = std::list<std::string>;
  struct entry {
    std::shared_ptr<const compiled_schema> schema;
    lru_list::iterator pos;
  };

  std::size_t capacity_;
  mutable std::mutex mtx_;
  std::unordered_map<std::string, entry> map_;
  lru_list lru_; ///< most recently used first
  std::size_t compilations_ = 0;
};

/// Compiles a schema without caching (the cache calls this).
result<std::shared_ptr<const compiled_schema>>
compile_schema(const json::value& schema);

/// Validates `data`; errc::invalid_value with a message naming the failing
/// keyword and the JSON pointers of the data and the schema, e.g.
/// `#/n: fails 'type' (schema #/properties/n)`.
status validate(const compiled_schema& schema, const json::value& data);

} // namespace rxon
