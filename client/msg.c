/* SPDX-License-Identifier: MIT
 * msg.c -- the client catalogue's two columns (client/msg.def). */
#include "client/msg.h"

static const char *const texts[MSG_COUNT][2] = {
#define M(id, vi, en) [id] = {vi, en},
#include "client/msg.def"
#undef M
};

const struct msgcat msg_cat = {texts, MSG_COUNT};
