// Codec of the task and event models: payloads, results, events, commands.

#include "protocol/codec.hpp"
#include "protocol/detail/codec_models.hpp"

namespace rxon {

RXON_CODEC_DEFINE(file_metadata)
RXON_CODEC_DEFINE(worker_event)
RXON_CODEC_DEFINE(worker_command)
RXON_CODEC_DEFINE(task_payload)
RXON_CODEC_DEFINE(task_error)
RXON_CODEC_DEFINE(task_result)

} // namespace rxon
