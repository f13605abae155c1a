// SPDX-License-Identifier: GPL-2.0
// Claiming and releasing the floating addresses (VIPs on the front
// interface, back addresses on the back interface) and announcing a claim
// so neighbours redirect at once: a gratuitous ARP for IPv4, an unsolicited
// neighbour advertisement with the override flag for IPv6 (KERNEL-NOTES
// section 7: adding an address sends neither).
#pragma once

#include "Address.hpp"
#include "UniqueFd.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace tcpfo {

// Adds @a as a host address (/32, /128; IPv6 without DAD, usable at once)
// on @ifname. Returns false if it was there already. Throws
// std::system_error naming the interface and address.
bool claim_address(const std::string &ifname, const Address &a);

// Removes @a from @ifname; false if it was not there.
bool release_address(const std::string &ifname, const Address &a);

// Sends one announcement of @a with @ifname's hardware address: a
// broadcast ARP request with sender = target = @a, or an NA to ff02::1
// with override set and the target link-layer address option.
void announce_address(const std::string &ifname, const Address &a);

// Whether another host answers for @a on @ifname within @wait: for IPv4,
// ARP probes (RFC 5227, sender 0.0.0.0) and a reply from another hardware
// address; for IPv6, neighbour solicitations to its solicited-node
// address and an advertisement for it from another hardware address.
// nullopt for another family. The standby asks before it takes over on
// silence: a primary that still holds the VIP is alive.
//
// The wait does not count time this process was stalled (CheckWindow):
// up to 4 x @wait more. With @recent > 0, an answer that came after the
// last check on @ifname for that family found nothing, if that check
// ended at most @recent ago, is its late answer and counts at once.
// @how, if given, says how the answer was found.
struct AnswerCheck {
	bool late = false;			 // a late answer to the last check
	std::chrono::milliseconds stalled{0};	 // the window grew by this
	int stalls = 0;				 // for this many stalls
};
std::optional<bool> address_answers(const std::string &ifname, const Address &a,
				    std::chrono::milliseconds wait,
				    std::chrono::milliseconds recent = std::chrono::milliseconds(0),
				    AnswerCheck *how = nullptr);

// A standby's continuous poll of the VIP's holder on the front segment,
// so that when the state link falls silent the front's silence is already
// known. send() sends one probe: for IPv4 an ARP request (sender 0.0.0.0)
// unicast to the hardware address that answered the last probe, else
// broadcast; for IPv6 a neighbour solicitation to the VIP's solicited-node
// address. fd() (non-blocking) becomes readable with answers;
// read_answers() reads all that are queued and says whether one came from
// another hardware address. Throws std::system_error naming the interface.
class FrontProber {
public:
	FrontProber(const std::string &ifname, const Address &vip);
	int fd() const { return fd_.get(); }
	void send();
	bool read_answers();

private:
	std::string ifname_;
	Address vip_;
	unsigned ifindex_ = 0;
	UniqueFd fd_;
	std::array<std::uint8_t, 6> mac_{};
	std::array<std::uint8_t, 6> holder_{};
	bool holder_known_ = false;	// it answered the last probe
	bool answered_ = false;		// since the last send()
};

} // namespace tcpfo
