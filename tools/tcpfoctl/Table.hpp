// SPDX-License-Identifier: GPL-2.0
// Table: aligned human-readable columns, as `ss` and `conntrack` print them.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace tcpfo {

class Table {
public:
	explicit Table(std::vector<std::string> header = {})
	{
		if (!header.empty())
			rows_.push_back(std::move(header));
	}

	void add_row(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

	// Columns padded to their widest cell, two spaces apart; no trailing
	// blanks.
	void print(std::ostream &out) const;

private:
	std::vector<std::vector<std::string>> rows_;
};

} // namespace tcpfo
