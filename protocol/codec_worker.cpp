// Codec of the worker-side models: registration, heartbeat, tokens and their
// sub-models.

#include "protocol/codec.hpp"
#include "protocol/detail/codec_models.hpp"

namespace rxon {

RXON_CODEC_DEFINE(hardware_device)
RXON_CODEC_DEFINE(device_usage)
RXON_CODEC_DEFINE(resources_usage)
RXON_CODEC_DEFINE(resources)
RXON_CODEC_DEFINE(installed_artifact)
RXON_CODEC_DEFINE(skill_info)
RXON_CODEC_DEFINE(security_context)
RXON_CODEC_DEFINE(worker_capabilities)
RXON_CODEC_DEFINE(worker_registration)
RXON_CODEC_DEFINE(token_response)
RXON_CODEC_DEFINE(heartbeat)

} // namespace rxon
