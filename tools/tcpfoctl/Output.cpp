// SPDX-License-Identifier: GPL-2.0
#include "Output.hpp"

#include "JsonWriter.hpp"
#include "Table.hpp"

#include <algorithm>

namespace tcpfo {

void print_status(std::ostream &out, const Status &st, bool json)
{
	if (json) {
		JsonWriter(out)
			.begin_object()
			.key("version").value(st.version)
			.key("mode").value(to_string(st.mode))
			.key("packets_seen").value(st.packets_seen)
			.key("packets_tracked").value(st.packets_tracked)
			.key("flows").value(st.flows)
			.key("services").value(st.services)
			.end_object();
		out << '\n';
		return;
	}
	Table table;
	table.add_row({"version", st.version});
	table.add_row({"mode", to_string(st.mode)});
	table.add_row({"packets seen", std::to_string(st.packets_seen)});
	table.add_row({"packets tracked", std::to_string(st.packets_tracked)});
	table.add_row({"flows", std::to_string(st.flows)});
	table.add_row({"services", std::to_string(st.services)});
	table.print(out);
}

void print_services(std::ostream &out, std::vector<Service> services, bool json)
{
	std::sort(services.begin(), services.end(),
		  [](const Service &a, const Service &b) { return a.name < b.name; });

	if (json) {
		JsonWriter writer(out);
		writer.begin_array();
		for (const Service &s : services) {
			writer.begin_object()
				.key("name").value(s.name)
				.key("family").value(family_name(s.family()))
				.key("vip").value(s.vip.address.to_string())
				.key("vport").value(s.vip.port)
				.key("backend").value(s.backend.address.to_string())
				.key("bport").value(s.backend.port)
				.key("back_address").value(s.back_address.to_string())
				.end_object();
		}
		writer.end_array();
		out << '\n';
		return;
	}
	Table table({"NAME", "VIP", "BACKEND", "BACK-ADDRESS"});
	for (const Service &s : services)
		table.add_row({s.name, s.vip.to_string(), s.backend.to_string(),
			       s.back_address.to_string()});
	table.print(out);
}

} // namespace tcpfo
