// SPDX-License-Identifier: GPL-2.0
// ServiceAttrs: a Service as the TCPFO_A_SERVICE nest on the wire (see
// enum tcpfo_service_attr), in both directions.
#pragma once

#include "Service.hpp"

#include <string_view>

struct nl_msg;
struct nlattr;

namespace tcpfo {

// Appends a TCPFO_A_SERVICE nest (flagged NLA_F_NESTED, which the kernel
// requires) carrying every service attribute. Throws std::system_error
// (EMSGSIZE) if the message is full.
void put_service(nl_msg *msg, const Service &service);

// The nest that names a service for SERVICE_DEL: by NAME ...
void put_service_name(nl_msg *msg, std::string_view name);
// ... or by FAMILY + VIP + VPORT.
void put_service_vip(nl_msg *msg, const Endpoint &vip);

// Reads a TCPFO_A_SERVICE nest from a reply. Throws std::system_error
// (EPROTO) naming what is missing or malformed.
Service get_service(nlattr *nest);

} // namespace tcpfo
