#pragma once

// Every RXON 1.0b13 message and sub-model (spec/rxon-protocol.md §1.3).
// Conventions: std::optional = "opt, absent when unset" (boxed<T> is the
// same, kept on the heap: for large parts that hot messages rarely carry);
// a json::value that is null = absent free-form field; plain members with
// initialisers are the non-null defaults that are always sent. Typed maps
// are std::map, whose key order is the wire order.

#include "protocol/boxed.hpp"
#include "protocol/json.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rxon {

struct hardware_device {
  std::string type;
  std::optional<std::string> model;
  std::optional<std::string> id;
  json::value properties; ///< object or null
  json::value metrics;    ///< object or null; never used in matching
  friend bool operator==(const hardware_device&, const hardware_device&)
      = default;
};

struct device_usage {
  std::string unit_id;
  double load_percent = 0;
  json::value metrics;
  friend bool operator==(const device_usage&, const device_usage&) = default;
};

struct resources_usage {
  double cpu_load_percent = 0;
  double ram_used_gb = 0;
  std::optional<std::vector<device_usage>> devices_usage;
  friend bool operator==(const resources_usage&, const resources_usage&)
      = default;
};

struct resources {
  std::optional<std::vector<hardware_device>> devices;
  json::value properties; ///< object or null, e.g. {"cpu_cores":16}
  friend bool operator==(const resources&, const resources&) = default;
};

struct installed_artifact {
  std::string name;
  std::string version = "unknown";
  std::optional<std::string> type;
  json::value properties;
  friend bool operator==(const installed_artifact&, const installed_artifact&)
      = default;
};

/// The one model the reference serializes in declaration order.
struct skill_info {
  std::string name;
  std::optional<std::string> type;
  std::optional<std::string> description;
  std::optional<std::string> version;
  json::value input_schema;  ///< object or null
  json::value output_schema; ///< object or null
  std::optional<std::map<std::string, json::value>> events_schema;
  std::optional<std::vector<std::string>> output_statuses;
  std::string schema_dialect = "json-schema";
  json::value properties;
  friend bool operator==(const skill_info&, const skill_info&) = default;
};

struct security_context {
  std::optional<std::string> signature;
  std::optional<std::string> signer_id;
  std::optional<std::vector<std::string>> identity_chain;
  json::value metadata;
  friend bool operator==(const security_context&, const security_context&)
      = default;
};

struct worker_capabilities {
  std::string hostname = "unknown";
  std::string ip_address = "0.0.0.0";
  std::optional<std::map<std::string, double>> cost_per_skill;
  std::optional<std::string> s3_config_hash;
  json::value extra;
  friend bool operator==(const worker_capabilities&, const worker_capabilities&)
      = default;
};

struct file_metadata {
  std::string uri;
  int64_t size = 0;
  std::optional<std::string> etag;
  json::value metadata;
  friend bool operator==(const file_metadata&, const file_metadata&) = default;
};

/// Body of POST /_worker/workers/register.
struct worker_registration {
  std::string worker_id;
  std::string worker_type = "generic";
  std::optional<std::vector<skill_info>> supported_skills;
  std::optional<std::vector<std::string>> available_skills;
  std::optional<std::vector<std::string>> hot_skills;
  std::optional<rxon::resources> resources;
  std::optional<std::map<std::string, std::string>> installed_software;
  std::optional<std::vector<installed_artifact>> installed_artifacts;
  std::optional<worker_capabilities> capabilities;
  std::optional<std::string> skills_hash;
  boxed<security_context> security;
  json::value metadata;
  std::optional<int64_t> timestamp;
  friend bool operator==(const worker_registration&, const worker_registration&)
      = default;
};

/// STS response; optionally also the register response.
struct token_response {
  std::string access_token;
  int64_t expires_in = 0;
  std::string worker_id;
  std::optional<std::string> refresh_token;
  json::value metadata;
  friend bool operator==(const token_response&, const token_response&)
      = default;
};

/// Body of POST /_worker/events and of worker->server WebSocket frames.
struct worker_event {
  std::string event_id;
  std::string worker_id;
  std::string origin_worker_id;
  std::string event_type;
  json::value payload; ///< required; any JSON object
  std::optional<std::string> origin_task_id;
  std::optional<std::vector<std::string>> bubbling_chain;
  std::optional<std::string> target_job_id;
  std::optional<std::string> target_task_id;
  std::optional<std::map<std::string, std::string>> trace_context;
  double priority = 0;
  std::optional<int64_t> timestamp;
  boxed<security_context> security;
  json::value metadata;
  friend bool operator==(const worker_event&, const worker_event&) = default;
};

/// Server->worker WebSocket frames.
struct worker_command {
  std::string command;
  std::optional<std::string> task_id;
  std::optional<std::string> job_id;
  json::value params;
  json::value metadata;
  friend bool operator==(const worker_command&, const worker_command&)
      = default;
};

/// Body of a 200 poll response.
struct task_payload {
  std::string job_id;
  std::string task_id;
  std::string type;
  json::value params;
  boxed<std::map<std::string, std::string>> tracing_context;
  boxed<std::map<std::string, file_metadata>> params_metadata;
  double priority = 0;
  std::optional<int64_t> deadline;
  boxed<security_context> security;
  json::value metadata;
  std::optional<int64_t> timestamp;
  friend bool operator==(const task_payload&, const task_payload&) = default;
};

struct task_error {
  std::string code;
  std::string message;
  json::value details;
  friend bool operator==(const task_error&, const task_error&) = default;
};

/// Body of POST /_worker/tasks/result.
struct task_result {
  std::string job_id;
  std::string task_id;
  std::optional<std::string> worker_id;
  std::optional<std::string> origin_worker_id;
  std::string status = "success";
  json::value data;
  boxed<task_error> error;
  boxed<std::map<std::string, file_metadata>> data_metadata;
  boxed<security_context> security;
  json::value metadata;
  std::optional<int64_t> timestamp;
  friend bool operator==(const task_result&, const task_result&) = default;
};

/// Body of PATCH /_worker/workers/{worker_id}.
struct heartbeat {
  std::string worker_id;
  std::string status;
  std::optional<resources_usage> usage;
  std::optional<std::vector<std::string>> current_tasks;
  std::optional<std::vector<skill_info>> supported_skills;
  std::optional<std::vector<std::string>> available_skills;
  std::optional<std::vector<std::string>> hot_skills;
  std::optional<std::string> skills_hash;
  boxed<security_context> security;
  json::value metadata;
  std::optional<int64_t> timestamp;
  friend bool operator==(const heartbeat&, const heartbeat&) = default;
};

} // namespace rxon
