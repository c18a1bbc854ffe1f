#include "protocol/shared_json.hpp"

namespace rxon::json {

namespace {

const value null_value;
const std::string no_text;

} // namespace

shared_value::shared_value(value v) {
  if (v.is_null())
    return;
  std::string text;
  write(v, text);
  body_ = std::make_shared<const body>(body{std::move(v), std::move(text)});
}

const value& shared_value::get() const noexcept {
  return body_ ? body_->v : null_value;
}

const std::string& shared_value::text() const noexcept {
  return body_ ? body_->text : no_text;
}

} // namespace rxon::json
