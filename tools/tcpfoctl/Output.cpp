// SPDX-License-Identifier: GPL-2.0
#include "Output.hpp"

#include "JsonWriter.hpp"
#include "Table.hpp"

#include <algorithm>
#include <optional>
#include <tuple>

namespace tcpfo {

namespace {

// JSON null for what the module did not send.
template <typename T>
void put(JsonWriter &w, const char *key, const std::optional<T> &v)
{
	w.key(key);
	if (v)
		w.value(*v);
	else
		w.null();
}

void put(JsonWriter &w, const char *key, const std::optional<Address> &a)
{
	w.key(key);
	if (a)
		w.value(a->to_string());
	else
		w.null();
}

void put_options(JsonWriter &w, const char *key, const std::optional<std::uint32_t> &opts)
{
	w.key(key);
	if (!opts) {
		w.null();
		return;
	}
	w.begin_array();
	for (const std::string &name : option_names(*opts))
		w.value(name);
	w.end_array();
}

// One byte of a *_WSCALE attribute, if the attribute is there.
std::optional<unsigned> wscale_byte(const std::optional<std::uint16_t> &v, bool gateway)
{
	if (!v)
		return std::nullopt;
	return gateway ? gateway_wscale(*v) : peer_wscale(*v);
}

template <typename T>
std::string text(const std::optional<T> &v)
{
	return v ? std::to_string(*v) : "-";
}

std::string endpoint_text(const std::optional<Address> &a, const std::optional<std::uint16_t> &port)
{
	if (!a || !port)
		return "-";
	return Endpoint{*a, *port}.to_string();
}

// Absent sorts first; addresses by family, then bytes.
auto sort_key(const Flow &f)
{
	auto bytes = [](const std::optional<Address> &a) {
		std::vector<std::uint8_t> b;
		if (a)
			b.assign(a->bytes().begin(), a->bytes().end());
		return b;
	};
	return std::make_tuple(f.family, bytes(f.vip), f.vport.value_or(0),
			       bytes(f.client), f.client_port.value_or(0));
}

} // namespace

namespace {
// enum tcpfo_protection as tcpfoctl prints it.
std::string protection_name(std::uint32_t p)
{
	switch (p) {
	case TCPFO_PROT_NONE: return "none";
	case TCPFO_PROT_PROTECTED: return "protected";
	case TCPFO_PROT_UNPROTECTED: return "UNPROTECTED";
	}
	return "unknown(" + std::to_string(p) + ")";
}
} // namespace

void print_status(std::ostream &out, const Status &st, bool json)
{
	if (json) {
		JsonWriter w(out);
		w.begin_object()
			.key("version").value(st.version)
			.key("mode").value(to_string(st.mode))
			.key("packets_seen").value(st.packets_seen)
			.key("packets_tracked").value(st.packets_tracked)
			.key("flows").value(st.flows)
			.key("services").value(st.services);
		put(w, "release_acks", st.release_acks);
		put(w, "dupacks_suppressed", st.dupacks_suppressed);
		put(w, "standby_flows", st.standby_flows);
		w.key("protection");
		if (st.protection)
			w.value(protection_name(*st.protection));
		else
			w.null();
		put(w, "takeover_locked", st.takeover_locked);
		put(w, "takeover_dropped", st.takeover_dropped);
		put(w, "takeover_probes", st.takeover_probes);
		put(w, "takeover_resets", st.takeover_resets);
		w.key("fenced");
		if (st.fenced)
			w.value(*st.fenced);
		else
			w.null();
		put(w, "fenced_drops", st.fenced_drops);
		put(w, "fenced_flows", st.fenced_flows);
		w.end_object();
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
	table.add_row({"release acks", text(st.release_acks)});
	table.add_row({"dupacks suppressed", text(st.dupacks_suppressed)});
	table.add_row({"standby flows", text(st.standby_flows)});
	table.add_row({"protection", st.protection ? protection_name(*st.protection) : "-"});
	// Takeover counters: only once a takeover happened in this namespace.
	if (st.takeover_probes.value_or(0) || st.takeover_locked.value_or(0) ||
	    st.takeover_resets.value_or(0)) {
		table.add_row({"takeover locked", text(st.takeover_locked)});
		table.add_row({"takeover dropped", text(st.takeover_dropped)});
		table.add_row({"takeover probes", text(st.takeover_probes)});
		table.add_row({"takeover resets", text(st.takeover_resets)});
	}
	// Fence: only once the owner died or something was dropped for it.
	if (st.fenced.value_or(false) || st.fenced_drops.value_or(0) ||
	    st.fenced_flows.value_or(0)) {
		table.add_row({"fenced", st.fenced.value_or(false) ? "yes" : "no"});
		table.add_row({"fenced flows", text(st.fenced_flows)});
		table.add_row({"fenced drops", text(st.fenced_drops)});
	}
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

void print_flows(std::ostream &out, std::vector<Flow> flows, bool json)
{
	std::stable_sort(flows.begin(), flows.end(), [](const Flow &a, const Flow &b) {
		return sort_key(a) < sort_key(b);
	});

	if (json) {
		JsonWriter w(out);
		w.begin_array();
		for (const Flow &f : flows) {
			w.begin_object();
			w.key("family").value(family_name(f.family));
			put(w, "client", f.client);
			put(w, "client_port", f.client_port);
			put(w, "vip", f.vip);
			put(w, "vport", f.vport);
			put(w, "back_address", f.back_address);
			put(w, "back_port", f.back_port);
			put(w, "server", f.server);
			put(w, "server_port", f.server_port);
			w.key("state");
			if (f.state)
				w.value(to_string(*f.state));
			else
				w.null();
			put(w, "service", f.service);
			put(w, "client_isn", f.client_isn);
			put(w, "l1_isn", f.l1_isn);
			put(w, "l2_isn", f.l2_isn);
			put(w, "server_isn", f.server_isn);
			put(w, "l1_mss", f.l1_mss);
			put(w, "l2_mss", f.l2_mss);
			put(w, "l1_wscale_client", wscale_byte(f.l1_wscale, false));
			put(w, "l1_wscale_gw", wscale_byte(f.l1_wscale, true));
			put(w, "l2_wscale_server", wscale_byte(f.l2_wscale, false));
			put(w, "l2_wscale_gw", wscale_byte(f.l2_wscale, true));
			put_options(w, "l1_opts", f.l1_opts);
			put_options(w, "l2_opts", f.l2_opts);
			put(w, "released_c2s", f.released_c2s);
			put(w, "released_s2c", f.released_s2c);
			put(w, "held_c2s", f.held_c2s);
			put(w, "held_s2c", f.held_s2c);
			put(w, "fin_c2s", f.fin_c2s);
			put(w, "fin_s2c", f.fin_s2c);
			put(w, "idle_ms", f.idle_ms);
			put(w, "id", f.id);
			w.key("standby").value(f.standby);
			w.key("fenced").value(f.fenced);
			put(w, "l1_right_edge", f.l1_right_edge);
			put(w, "l2_right_edge", f.l2_right_edge);
			put(w, "l1_ts_sent", f.l1_ts_sent);
			put(w, "l2_ts_sent", f.l2_ts_sent);
			put(w, "l1_ts_recent", f.l1_ts_recent);
			put(w, "l2_ts_recent", f.l2_ts_recent);
			w.end_object();
		}
		w.end_array();
		out << '\n';
		return;
	}
	Table table({"CLIENT", "VIP", "BACK", "SERVER", "STATE",
		     "RELEASED c2s/s2c", "HELD c2s/s2c"});
	for (const Flow &f : flows)
		table.add_row({endpoint_text(f.client, f.client_port),
			       endpoint_text(f.vip, f.vport),
			       endpoint_text(f.back_address, f.back_port),
			       endpoint_text(f.server, f.server_port),
			       std::string(f.standby ? "standby:" : "") + (f.fenced ? "fenced:" : "") +
				       (f.state ? to_string(*f.state) : "-"),
			       text(f.released_c2s) + "/" + text(f.released_s2c),
			       text(f.held_c2s) + "/" + text(f.held_s2c)});
	table.print(out);
}

} // namespace tcpfo
