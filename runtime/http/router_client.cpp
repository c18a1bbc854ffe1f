// The client API (/api/v1, incumbent §4) and the operational endpoints
// (/metrics, /health, /ready) of the router.

#include "protocol/codec.hpp"
#include "protocol/identifiers.hpp"
#include "runtime/http/router.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <string_view>
#include <utility>

namespace rxon::runtime {

namespace {

error field_error(errc code, const std::string& path, std::string what) {
  return error{code, path + ": " + std::move(what)};
}

/// Prefixes a nested decode error with the field path.
error nested(const std::string& path, error err) {
  err.message = path + "." + err.message;
  return err;
}

result<double> number_field(const json::value& v, const std::string& path) {
  if (!v.is_number() || v.is_bool())
    return field_error(errc::wrong_type, path, "expected a number");
  return v.as_double();
}

result<int64_t> integer_field(const json::value& v, const std::string& path) {
  if (v.type() == json::value::kind::integer)
    return v.as_int();
  if (v.type() == json::value::kind::number && v.is_integral()
      && std::abs(v.as_double()) < 9.2e18)
    return static_cast<int64_t>(v.as_double());
  if (v.is_number() && !v.is_bool())
    return field_error(errc::out_of_range, path, "expected a 64-bit integer");
  return field_error(errc::wrong_type, path, "expected an integer");
}

result<actors::task_spec> parse_task(const json::value& v,
                                     const std::string& path) {
  if (!v.is_object())
    return field_error(errc::wrong_type, path, "expected an object");
  actors::task_spec t;
  const json::value* type = v.find("type");
  if (!type || type->is_null())
    return field_error(errc::missing_field, path + ".type", "missing");
  if (!type->is_string())
    return field_error(errc::wrong_type, path + ".type", "expected a string");
  if (!is_valid_identifier(type->as_string()))
    return field_error(errc::invalid_value, path + ".type",
                       "invalid identifier '" + type->as_string() + "'");
  t.type = type->as_string();
  if (const json::value* p = v.find("params"); p && !p->is_null()) {
    if (!p->is_object())
      return field_error(errc::wrong_type, path + ".params",
                         "expected an object");
    t.params = *p;
  } else {
    t.params = json::object{};
  }
  if (const json::value* r = v.find("requirements"); r && !r->is_null()) {
    auto req = from_json<rxon::resources>(*r);
    if (!req)
      return nested(path + ".requirements", std::move(req).error());
    t.requirements = std::make_shared<const rxon::resources>(std::move(*req));
  }
  if (const json::value* s = v.find("skill"); s && !s->is_null()) {
    if (!s->is_object())
      return field_error(errc::wrong_type, path + ".skill",
                         "expected an object");
    json::value with_name = *s;
    if (const auto* n = with_name.find("name"); !n || n->is_null())
      with_name.as_object().set("name", t.type);
    auto skill = from_json<skill_info>(with_name);
    if (!skill)
      return nested(path + ".skill", std::move(skill).error());
    t.skill = std::make_shared<const skill_info>(std::move(*skill));
  }
  if (const json::value* p = v.find("priority"); p && !p->is_null()) {
    auto n = number_field(*p, path + ".priority");
    if (!n)
      return std::move(n).error();
    t.priority = *n;
  }
  if (const json::value* d = v.find("deadline"); d && !d->is_null()) {
    auto n = integer_field(*d, path + ".deadline");
    if (!n)
      return std::move(n).error();
    t.deadline = *n;
  }
  if (const json::value* c = v.find("max_cost"); c && !c->is_null()) {
    auto n = number_field(*c, path + ".max_cost");
    if (!n)
      return std::move(n).error();
    t.max_cost = *n;
  }
  if (const json::value* a = v.find("max_attempts"); a && !a->is_null()) {
    auto n = integer_field(*a, path + ".max_attempts");
    if (!n)
      return std::move(n).error();
    if (*n < 1 || *n > 1000)
      return field_error(errc::out_of_range, path + ".max_attempts",
                         "expected 1..1000");
    t.max_attempts = static_cast<int32_t>(*n);
  }
  return t;
}

result<std::size_t> size_param(const parsed_target& t, std::string_view key,
                               std::size_t fallback, std::size_t max) {
  const std::string* v = query_value(t, key);
  if (!v)
    return fallback;
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc{} || end != v->data() + v->size() || n > max)
    return error{errc::invalid_value, std::string{key}
                                          + ": expected an integer 0.."
                                          + std::to_string(max)};
  return n;
}

} // namespace

void router::prometheus(reply done) {
  api_.metrics([this, done = std::move(done)](result<std::string> r) {
    if (!r)
      return done(error_response(r.error()));
    std::string out = std::move(*r);
    if (!out.empty() && out.back() != '\n')
      out.push_back('\n');
    metrics_.render(out);
    done(text_response(200, std::move(out),
                       "text/plain; version=0.0.4; charset=utf-8"));
  });
}

void router::submit_jobs(http_request& req, const std::string& owner,
                         bool single, reply done) {
  auto body = req.body.empty()
                  ? result<json::value>{error{errc::invalid_json,
                                              "request body: empty, JSON "
                                              "expected"}}
                  : json::parse(req.body);
  if (!body)
    return done(error_response(body.error()));
  if (!body->is_object())
    return done(
        error_response({errc::wrong_type, "request body: expected an object"}));
  actors::job_spec spec;
  spec.owner = owner;
  if (single) {
    auto t = parse_task(*body, "task");
    if (!t)
      return done(error_response(t.error()));
    spec.tasks.push_back(std::move(*t));
  } else {
    const json::value* tasks = body->find("tasks");
    if (!tasks || tasks->is_null())
      return done(error_response({errc::missing_field, "tasks: missing"}));
    if (!tasks->is_array())
      return done(
          error_response({errc::wrong_type, "tasks: expected an array"}));
    if (tasks->as_array().empty())
      return done(error_response(
          {errc::invalid_value, "tasks: at least one task is needed"}));
    spec.tasks.reserve(tasks->as_array().size());
    std::size_t i = 0;
    for (const auto& item : tasks->as_array()) {
      auto t = parse_task(item, "tasks[" + std::to_string(i++) + "]");
      if (!t)
        return done(error_response(t.error()));
      spec.tasks.push_back(std::move(*t));
    }
  }
  if (const json::value* md = body->find("metadata"); md && !md->is_null())
    spec.metadata = *md;
  api_.submit(std::move(spec), [done = std::move(done),
                                single](result<actors::job_ack> r) {
    if (!r)
      return done(error_response(r.error()));
    json::object out{{"job_id", r->job_id}};
    if (single) {
      out.set("task_id", r->task_ids.empty() ? "" : r->task_ids.front());
    } else {
      json::array ids;
      ids.reserve(r->task_ids.size());
      for (auto& id : r->task_ids)
        ids.emplace_back(std::move(id));
      out.set("task_ids", std::move(ids));
    }
    done(json_response(202, out));
  });
}

void router::client(http_request& req, const parsed_target& t, route_id& route,
                    reply& done) {
  const auto& s = t.segments;
  const auto& m = req.method;
  auto finish = [&](route_id r) {
    route = r;
    return counted_reply(metrics_, r, std::move(done));
  };
  if (s.size() == 1 && m == "GET") {
    if (s[0] == "health")
      return finish(route_id::health)(
          json_response(200, json::object{{"status", "ok"}}));
    if (s[0] == "ready") {
      if (draining())
        return finish(route_id::ready)(
            json_response(503, json::object{{"status", "draining"}}));
      return finish(route_id::ready)(
          json_response(200, json::object{{"status", "ready"}}));
    }
    if (s[0] == "metrics")
      return prometheus(finish(route_id::metrics));
  }
  if (s.size() < 3 || s[0] != "api" || s[1] != "v1") {
    finish(route_id::unknown)(json_response(
        404, json::object{{"error", "no route for " + m + " " + req.target}}));
    return;
  }
  auto who = opts_.client_tokens.find(req.client_token);
  if (req.client_token.empty())
    return finish(route_id::unknown)(
        error_response({errc::auth, "missing X-Client-Token header"}));
  if (who == opts_.client_tokens.end())
    return finish(route_id::unknown)(
        error_response({errc::auth, "invalid X-Client-Token"}));
  const std::string& owner = who->second;
  auto pass = [](reply d) {
    return [d = std::move(d)](result<json::value> r) {
      if (!r)
        return d(error_response(r.error()));
      d(json_response(200, *r));
    };
  };
  auto bad_id = [&](route_id r, const std::string& id) {
    finish(r)(error_response(
        {errc::invalid_value, "id: invalid identifier '" + id + "'"}));
  };
  const std::string& col = s[2];
  if (s.size() == 3) {
    if (col == "jobs" && m == "POST")
      return submit_jobs(req, owner, false, finish(route_id::jobs_submit));
    if (col == "tasks" && m == "POST")
      return submit_jobs(req, owner, true, finish(route_id::task_submit));
    if (col == "jobs" && m == "GET") {
      actors::job_query q;
      q.owner = owner;
      if (const auto* st = query_value(t, "status")) {
        static constexpr std::string_view statuses[]
            = {"pending", "running",   "finished",
               "failed",  "cancelled", "quarantined"};
        if (std::find(std::begin(statuses), std::end(statuses), *st)
            == std::end(statuses))
          return finish(route_id::jobs_list)(error_response(
              {errc::invalid_value,
               "status: expected pending, running, finished, failed, "
               "cancelled or quarantined, got '"
                   + *st + "'"}));
        q.status = *st;
      }
      auto limit = size_param(t, "limit", 100, 1000);
      auto offset = size_param(t, "offset", 0, SIZE_MAX / 2);
      if (!limit || !offset)
        return finish(route_id::jobs_list)(
            error_response(!limit ? limit.error() : offset.error()));
      q.limit = *limit;
      q.offset = *offset;
      return api_.list_jobs(std::move(q), pass(finish(route_id::jobs_list)));
    }
    if (col == "workers" && m == "GET")
      return api_.list_holons(pass(finish(route_id::workers)));
    if (col == "holarchy" && m == "GET")
      return api_.holarchy(pass(finish(route_id::holarchy)));
  }
  if (s.size() == 4 && m == "GET" && (col == "jobs" || col == "tasks")) {
    auto r = col == "jobs" ? route_id::job_get : route_id::task_get;
    if (!is_valid_identifier(s[3]))
      return bad_id(r, s[3]);
    if (col == "jobs")
      return api_.get_job(owner, s[3], pass(finish(r)));
    return api_.get_task(owner, s[3], pass(finish(r)));
  }
  if (s.size() == 5 && m == "GET" && col == "tasks" && s[4] == "events") {
    if (!is_valid_identifier(s[3]))
      return bad_id(route_id::task_get, s[3]);
    return api_.task_events(owner, s[3], pass(finish(route_id::task_get)));
  }
  if (s.size() == 5 && m == "POST" && s[4] == "cancel"
      && (col == "jobs" || col == "tasks")) {
    auto r = col == "jobs" ? route_id::job_cancel : route_id::task_cancel;
    if (!is_valid_identifier(s[3]))
      return bad_id(r, s[3]);
    if (col == "jobs")
      return api_.cancel_job(owner, s[3], pass(finish(r)));
    return api_.cancel_task(owner, s[3], pass(finish(r)));
  }
  finish(route_id::unknown)(json_response(
      404, json::object{{"error", "no route for " + m + " " + req.target}}));
}

} // namespace rxon::runtime
