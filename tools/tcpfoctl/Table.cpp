// SPDX-License-Identifier: GPL-2.0
#include "Table.hpp"

#include <algorithm>

namespace tcpfo {

void Table::print(std::ostream &out) const
{
	std::vector<std::size_t> width;
	for (const auto &row : rows_) {
		if (width.size() < row.size())
			width.resize(row.size());
		for (std::size_t i = 0; i < row.size(); i++)
			width[i] = std::max(width[i], row[i].size());
	}
	for (const auto &row : rows_) {
		std::string line;
		for (std::size_t i = 0; i < row.size(); i++) {
			line += row[i];
			if (i + 1 < row.size())
				line.append(width[i] - row[i].size() + 2, ' ');
		}
		out << line << '\n';
	}
}

} // namespace tcpfo
