/* SPDX-License-Identifier: MIT
 * dmsg.c -- the daemon catalogue's two columns (daemon/dmsg.def). */
#include "daemon/dmsg.h"

static const char *const texts[DM_COUNT][2] = {
#define M(id, vi, en) [id] = {vi, en},
#include "daemon/dmsg.def"
#undef M
};

const struct msgcat dmsg_cat = {texts, DM_COUNT};
