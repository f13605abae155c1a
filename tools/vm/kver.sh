#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Prints the Debian kernel release the module is built for and the VM boots.
. "$(dirname "$0")/lib.sh"
detect_kver
