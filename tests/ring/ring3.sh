#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ring3.sh: ring.sh with 3 nodes.
exec "${BASH_SOURCE[0]%/*}/ring.sh" 3
