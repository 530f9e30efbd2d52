/* SPDX-License-Identifier: MIT
 * msg.h -- dansync's message catalogue: every sentence the field client
 * says to a person, in Vietnamese and English (DESIGN §8 "For the people
 * who type it"). The texts live in client/msg.def, one line per message,
 * for a translator to edit; the lookup and formatting are common/msgcat's,
 * shared with dansyncd's catalogue (daemon/dmsg.def). */
#ifndef DS_CLIENT_MSG_H
#define DS_CLIENT_MSG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/msgcat.h"

enum msg_id {
#define M(id, vi, en) id,
#include "client/msg.def"
#undef M
  MSG_COUNT
};

extern const struct msgcat msg_cat;

/* See common/msgcat.h: the chosen language, |id|'s text in it or in a
 * given one, printf into a buffer or onto a stream, and ds_fail. */
#define msg_english() msgcat_english()
#define msg(id) msgcat_get(&msg_cat, (int)(id))
#define msg_in(id, en) msgcat_in(&msg_cat, (int)(id), (en))
#define msg_fmt(out, ...) msgcat_fmt(&msg_cat, (out), __VA_ARGS__)
#define msg_print(...) msgcat_print(&msg_cat, __VA_ARGS__)
#define msg_fail(...) msgcat_fail(&msg_cat, __VA_ARGS__)
#endif
