#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ring8.sh: ring.sh with 8 nodes.
exec "${BASH_SOURCE[0]%/*}/ring.sh" 8
