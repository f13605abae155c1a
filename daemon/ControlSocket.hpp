// SPDX-License-Identifier: GPL-2.0
// ControlSocket: failoverd's local control endpoint (a Unix stream socket
// at `control-socket`, mode 0600). One request line per connection; the
// answer is written and the connection closed. Requests: "peer" (text),
// "peer json". Unknown requests get "error: ..." and the connection ends.
#pragma once

#include "EventLoop.hpp"
#include "Logger.hpp"
#include "UniqueFd.hpp"

#include <filesystem>
#include <functional>
#include <map>
#include <string>

namespace tcpfo {

class ControlSocket {
public:
	// Answers a request line (without newline); throws to send "error: ".
	using Handler = std::function<std::string(const std::string &request)>;

	// Creates the parent directory if needed and replaces a stale
	// socket; throws std::system_error if it cannot listen.
	ControlSocket(EventLoop &loop, Logger &log, std::filesystem::path path,
		      Handler handler);
	~ControlSocket();
	ControlSocket(const ControlSocket &) = delete;
	ControlSocket &operator=(const ControlSocket &) = delete;

private:
	void on_accept();
	void on_client(int fd);
	void drop(int fd);

	EventLoop &loop_;
	Logger &log_;
	std::filesystem::path path_;
	Handler handler_;
	UniqueFd listener_;
	struct Client {
		UniqueFd fd;
		std::string in;
	};
	std::map<int, Client> clients_;
};

} // namespace tcpfo
