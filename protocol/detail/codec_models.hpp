#pragma once

// Internal to the codec: the field table of every model. `fields` lists the
// members sorted by key (decode and canonical encode); SkillInfo also has
// `wire_fields` in declaration order, as the reference's dataclass.

#include "protocol/detail/codec_write.hpp"

/// A field descriptor named after the member itself.
#define RXON_FIELD(T, m, req)                                                  \
  ::rxon::detail::field<T, decltype(T::m)> {                                   \
#    m, &T::m, req                                                             \
  }

namespace rxon::detail {

constexpr bool req = true;
constexpr bool opt = false;

template <>
struct model<hardware_device> {
  using T = hardware_device;
  static constexpr std::string_view name = "HardwareDevice";
  static constexpr auto fields = std::make_tuple(
      RXON_FIELD(T, id, opt), RXON_FIELD(T, metrics, opt),
      RXON_FIELD(T, model, opt), RXON_FIELD(T, properties, opt),
      RXON_FIELD(T, type, req));
};

template <>
struct model<device_usage> {
  using T = device_usage;
  static constexpr std::string_view name = "DeviceUsage";
  static constexpr auto fields = std::make_tuple(
      RXON_FIELD(T, load_percent, req), RXON_FIELD(T, metrics, opt),
      RXON_FIELD(T, unit_id, req));
};

template <>
struct model<resources_usage> {
  using T = resources_usage;
  static constexpr std::string_view name = "ResourcesUsage";
  static constexpr auto fields = std::make_tuple(
      RXON_FIELD(T, cpu_load_percent, opt), RXON_FIELD(T, devices_usage, opt),
      RXON_FIELD(T, ram_used_gb, opt));
};

template <>
struct model<resources> {
  using T = resources;
  static constexpr std::string_view name = "Resources";
  static constexpr auto fields = std::make_tuple(
      RXON_FIELD(T, devices, opt), RXON_FIELD(T, properties, opt));
};

template <>
struct model<installed_artifact> {
  using T = installed_artifact;
  static constexpr std::string_view name = "InstalledArtifact";
  static constexpr auto fields = std::make_tuple(
      RXON_FIELD(T, name, req), RXON_FIELD(T, properties, opt),
      RXON_FIELD(T, type, opt), RXON_FIELD(T, version, opt));
};

template <>
struct model<skill_info> {
  using T = skill_info;
  static constexpr std::string_view name = "SkillInfo";
  static constexpr auto fields = std::make_tuple(
      RXON_FIELD(T, description, opt), RXON_FIELD(T, events_schema, opt),
      RXON_FIELD(T, input_schema, opt), RXON_FIELD(T, name, req),
      RXON_FIELD(T, output_schema, opt), RXON_FIELD(T, output_statuses, opt),
      RXON_FIELD(T, properties, opt), RXON_FIELD(T, schema_dialect, opt),
      RXON_FIELD(T, type, opt), RXON_FIELD(T, version, opt));
  static constexpr auto wire_fields = std::make_tuple(
      RXON_FIELD(T, name, req), RXON_FIELD(T, type, opt),
      RXON_FIELD(T, description, opt), RXON_FIELD(T, version, opt),
      RXON_FIELD(T, input_schema, opt), RXON_FIELD(T, output_schema, opt),
      RXON_FIELD(T, events_schema, opt), RXON_FIELD(T, output_statuses, opt),
      RXON_FIELD(T, schema_dialect, opt), RXON_FIELD(T, properties, opt));
};

template <>
struct model<security_context> {
  using T = security_context;
  static constexpr std::string_view name = "SecurityContext";
  static constexpr auto fields = std::make_tuple(
      RXON_FIELD(T, identity_chain, opt), RXON_FIELD(T, metadata, opt),
      RXON_FIELD(T, signature, opt), RXON_FIELD(T, signer_id, opt));
};

template <>
struct model<worker_capabilities> {
  using T = worker_capabilities;
  static constexpr std::string_view name = "WorkerCapabilities";
  static constexpr auto fields = std::make_tuple(
      RXON_FIELD(T, cost_per_skill, opt), RXON_FIELD(T, extra, opt),
      RXON_FIELD(T, hostname, opt), RXON_FIELD(T, ip_address, opt),
      RXON_FIELD(T, s3_config_hash, opt));
};

template <>
struct model<file_metadata> {
  using T = file_metadata;
  static constexpr std::string_view name = "FileMetadata";
  static constexpr auto fields
      = std::make_tuple(RXON_FIELD(T, etag, opt), RXON_FIELD(T, metadata, opt),
                        RXON_FIELD(T, size, opt), RXON_FIELD(T, uri, req));
};

template <>
struct model<worker_registration> {
  using T = worker_registration;
  static constexpr std::string_view name = "WorkerRegistration";
  static constexpr auto fields = std::make_tuple(
      RXON_FIELD(T, available_skills, opt), RXON_FIELD(T, capabilities, opt),
      RXON_FIELD(T, hot_skills, opt), RXON_FIELD(T, installed_artifacts, opt),
      RXON_FIELD(T, installed_software, opt), RXON_FIELD(T, metadata, opt),
      RXON_FIELD(T, resources, opt), RXON_FIELD(T, security, opt),
      RXON_FIELD(T, skills_hash, opt), RXON_FIELD(T, supported_skills, opt),
      RXON_FIELD(T, timestamp, opt), RXON_FIELD(T, worker_id, req),
      RXON_FIELD(T, worker_type, opt));
};

template <>
struct model<token_response> {
  using T = token_response;
  static constexpr std::string_view name = "TokenResponse";
  static constexpr auto fields = std::make_tuple(
      RXON_FIELD(T, access_token, req), RXON_FIELD(T, expires_in, req),
      RXON_FIELD(T, metadata, opt), RXON_FIELD(T, refresh_token, opt),
      RXON_FIELD(T, worker_id, req));
};

template <>
struct model<worker_event> {
  using T = worker_event;
  static constexpr std::string_view name = "WorkerEventPayload";
  static constexpr auto fields = std::make_tuple(
      RXON_FIELD(T, bubbling_chain, opt), RXON_FIELD(T, event_id, req),
      RXON_FIELD(T, event_type, req), RXON_FIELD(T, metadata, opt),
      RXON_FIELD(T, origin_task_id, opt), RXON_FIELD(T, origin_worker_id, req),
      RXON_FIELD(T, payload, req), RXON_FIELD(T, priority, opt),
      RXON_FIELD(T, security, opt), RXON_FIELD(T, target_job_id, opt),
      RXON_FIELD(T, target_task_id, opt), RXON_FIELD(T, timestamp, opt),
      RXON_FIELD(T, trace_context, opt), RXON_FIELD(T, worker_id, req));
};

template <>
struct model<worker_command> {
  using T = worker_command;
  static constexpr std::string_view name = "WorkerCommand";
  static constexpr auto fields = std::make_tuple(
      RXON_FIELD(T, command, req), RXON_FIELD(T, job_id, opt),
      RXON_FIELD(T, metadata, opt), RXON_FIELD(T, params, opt),
      RXON_FIELD(T, task_id, opt));
};

template <>
struct model<task_payload> {
  using T = task_payload;
  static constexpr std::string_view name = "TaskPayload";
  static constexpr auto fields = std::make_tuple(
      RXON_FIELD(T, deadline, opt), RXON_FIELD(T, job_id, req),
      RXON_FIELD(T, metadata, opt), RXON_FIELD(T, params, opt),
      RXON_FIELD(T, params_metadata, opt), RXON_FIELD(T, priority, opt),
      RXON_FIELD(T, security, opt), RXON_FIELD(T, task_id, req),
      RXON_FIELD(T, timestamp, opt), RXON_FIELD(T, tracing_context, opt),
      RXON_FIELD(T, type, req));
};

template <>
struct model<task_error> {
  using T = task_error;
  static constexpr std::string_view name = "TaskError";
  static constexpr auto fields
      = std::make_tuple(RXON_FIELD(T, code, req), RXON_FIELD(T, details, opt),
                        RXON_FIELD(T, message, req));
};

template <>
struct model<task_result> {
  using T = task_result;
  static constexpr std::string_view name = "TaskResult";
  static constexpr auto fields = std::make_tuple(
      RXON_FIELD(T, data, opt), RXON_FIELD(T, data_metadata, opt),
      RXON_FIELD(T, error, opt), RXON_FIELD(T, job_id, req),
      RXON_FIELD(T, metadata, opt), RXON_FIELD(T, origin_worker_id, opt),
      RXON_FIELD(T, security, opt), RXON_FIELD(T, status, opt),
      RXON_FIELD(T, task_id, req), RXON_FIELD(T, timestamp, opt),
      RXON_FIELD(T, worker_id, opt));
};

template <>
struct model<heartbeat> {
  using T = heartbeat;
  static constexpr std::string_view name = "Heartbeat";
  static constexpr auto fields = std::make_tuple(
      RXON_FIELD(T, available_skills, opt), RXON_FIELD(T, current_tasks, opt),
      RXON_FIELD(T, hot_skills, opt), RXON_FIELD(T, metadata, opt),
      RXON_FIELD(T, security, opt), RXON_FIELD(T, skills_hash, opt),
      RXON_FIELD(T, status, req), RXON_FIELD(T, supported_skills, opt),
      RXON_FIELD(T, timestamp, opt), RXON_FIELD(T, usage, opt),
      RXON_FIELD(T, worker_id, req));
};

} // namespace rxon::detail
