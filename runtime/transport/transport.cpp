#include "runtime/transport/transport.hpp"

#include "runtime/transport/http_transport.hpp"
#include "runtime/transport/mock_transport.hpp"

namespace rxon::runtime {

result<std::shared_ptr<transport>> create_transport(boost::asio::io_context& io,
                                                    std::string_view url,
                                                    std::string worker_id,
                                                    std::string token,
                                                    transport_options opts) {
  if (url.starts_with("mock://"))
    return std::shared_ptr<transport>(std::make_shared<mock_transport>(
        io, std::move(worker_id), std::move(token)));
  auto t = http_transport::create(io, url, std::move(worker_id),
                                  std::move(token), std::move(opts));
  if (!t)
    return t.error();
  return std::shared_ptr<transport>(std::move(*t));
}

} // namespace rxon::runtime
